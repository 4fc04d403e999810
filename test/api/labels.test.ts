import t from 'tap';
import { SelectorError } from '../../api/errors.js';
import { labelSelectorAsSelector, selectorFromSet } from '../../api/index.js';
import { matchesLabelSelector, parseFieldSelector, parseSelector } from '../../api/labels.js';

const labels = { app: 'web', tier: 'front', version: '3' };

t.test('label selector strings: parse, canonical text, match', async (t) => {
  const cases: { sel: string; text: string; match: boolean }[] = [
    { sel: '', text: '', match: true },
    { sel: 'app=web', text: 'app=web', match: true },
    { sel: 'app==web', text: 'app==web', match: true },
    { sel: 'app!=web', text: 'app!=web', match: false },
    { sel: 'missing!=x', text: 'missing!=x', match: true },
    { sel: 'tier in (front, back)', text: 'tier in (back,front)', match: true },
    { sel: 'tier notin (front)', text: 'tier notin (front)', match: false },
    { sel: 'missing notin (front)', text: 'missing notin (front)', match: true },
    { sel: 'app', text: 'app', match: true },
    { sel: '!app', text: '!app', match: false },
    { sel: '!canary,app=web', text: 'app=web,!canary', match: true },
    { sel: 'version>2', text: 'version>2', match: true },
    { sel: 'version<3', text: 'version<3', match: false },
    { sel: 'tier=front,app in (web),version', text: 'app in (web),tier=front,version', match: true },
    { sel: 'app=', text: 'app=', match: false },
    { sel: 'example.com/role=x', text: 'example.com/role=x', match: false },
    // labels.Parse's own example: empty values, a bare key, `notin ()` meaning the empty value.
    { sel: 'x in (foo,,baz),y,z notin ()', text: 'x in (,baz,foo),y,z notin ()', match: false },
    { sel: 'tier in (front,front)', text: 'tier in (front)', match: true },
    { sel: 'in in (in, notin)', text: 'in in (in,notin)', match: false },
  ];
  for (const c of cases) {
    const s = parseSelector(c.sel);
    t.equal(s.toString(), c.text, `${c.sel} text`);
    t.equal(s.matches(labels), c.match, `${c.sel} matches`);
  }
});

t.test('label selector syntax errors', async (t) => {
  // apimachinery's labels.Parse, word for word: errors inside one requirement carry the prefix
  // `unable to parse requirement:`, errors between requirements do not; the end of the string is ''.
  const keyName =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  const cases: { sel: string; message: string }[] = [
    { sel: 'a in b', message: "unable to parse requirement: found 'b' expected: '('" },
    { sel: 'a in (b', message: "unable to parse requirement: found '', expected: ',' or ')'" },
    { sel: 'a in (b c)', message: "unable to parse requirement: found 'c', expected: ',' or ')'" },
    { sel: 'a in (=)', message: "unable to parse requirement: found '=', expected: ',', ')' or identifier" },
    { sel: 'a=b=c', message: "found '=', expected: ',' or 'end of string'" },
    { sel: '!', message: "unable to parse requirement: found '', expected: identifier" },
    { sel: 'a,,b', message: "found ',', expected: identifier after ','" },
    { sel: 'a=b,', message: "found '', expected: identifier after ','" },
    { sel: '=a', message: "found '=', expected: !, identifier, or 'end of string'" },
    { sel: 'a b', message: "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt" },
    { sel: 'a=(', message: "unable to parse requirement: found '(', expected: identifier" },
    {
      sel: 'x>a',
      message: `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`,
    },
    { sel: '-a=b', message: `unable to parse requirement: <nil>: Invalid value: "-a": ${keyName}` },
    { sel: 'app:web', message: `unable to parse requirement: <nil>: Invalid value: "app:web": ${keyName}` },
    {
      sel: 'app=-web',
      message: `unable to parse requirement: values[0][app]: Invalid value: "-web": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    },
  ];
  for (const c of cases) {
    const err = t.throws(() => parseSelector(c.sel), SelectorError, c.sel) as SelectorError;
    t.equal(err.message, c.message, c.sel);
    t.equal(err.code, 'NETLAB_API_SELECTOR');
  }
});

t.test('LabelSelector objects and sets', async (t) => {
  t.equal(matchesLabelSelector(undefined, labels), false, 'nil selector matches nothing');
  t.equal(matchesLabelSelector({}, labels), true, 'empty selector matches everything');
  const ls = {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In' as const, values: ['front'] },
      { key: 'canary', operator: 'DoesNotExist' as const },
    ],
  };
  t.equal(labelSelectorAsSelector(ls).toString(), 'app=web,!canary,tier in (front)');
  t.equal(matchesLabelSelector(ls, labels), true);
  t.equal(matchesLabelSelector(ls, { ...labels, canary: 'y' }), false);
  // metav1.LabelSelectorAsSelector hands values to labels.NewRequirement as they are.
  const bad: { ls: Parameters<typeof labelSelectorAsSelector>[0]; message: string }[] = [
    {
      ls: { matchExpressions: [{ key: 'tier', operator: 'In', values: [] }] },
      message: "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty",
    },
    {
      ls: { matchExpressions: [{ key: 'tier', operator: 'Exists', values: ['a'] }] },
      message: 'values: Invalid value: []string{"a"}: values set must be empty for exists and does not exist',
    },
    {
      ls: { matchLabels: { '-x': 'y' } },
      message: `key: Invalid value: "-x": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    },
    {
      ls: { matchExpressions: [{ key: 'tier', operator: 'Like' as 'In', values: ['a'] }] },
      message: '"Like" is not a valid label selector operator',
    },
  ];
  for (const c of bad) t.throws(() => labelSelectorAsSelector(c.ls), { message: c.message }, c.message);
  t.equal(selectorFromSet({ app: 'web' }).matches(labels), true);
  t.equal(selectorFromSet({ app: 'db' }).matches(labels), false);
  t.equal(selectorFromSet(undefined).empty, true);
});

t.test('field selectors', async (t) => {
  t.same(parseFieldSelector('metadata.name=web,spec.nodeName!=n1,metadata.namespace==a\\,b'), [
    { field: 'metadata.name', operator: '=', value: 'web' },
    { field: 'spec.nodeName', operator: '!=', value: 'n1' },
    { field: 'metadata.namespace', operator: '=', value: 'a,b' },
  ]);
  t.same(parseFieldSelector(''), []);
  t.throws(() => parseFieldSelector('metadata.name'), {
    message: "invalid selector: 'metadata.name'; can't understand 'metadata.name'",
  });
});
