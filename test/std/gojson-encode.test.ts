// marshalGo and marshalIndentGo against Go's json.Marshal and json.MarshalIndent(v, "", "    ")
// (go1.22, HTML escaping on as json.Marshal has it): each `compact` and `indented` is what Go prints
// for the value (a Go map's keys sorted by the caller; here members print in the object's order).
import t from 'tap';
import { type GoEncodable, marshalGo, marshalIndentGo } from '../../std/index.js';

const cases: ReadonlyArray<{ name: string; in: GoEncodable; compact: string; indented: string }> = [
  { name: 'null', in: null, compact: 'null', indented: 'null' },
  { name: 'booleans', in: [true, false], compact: '[true,false]', indented: '[\n    true,\n    false\n]' },
  {
    name: 'empty object and array',
    in: { a: {}, b: [] },
    compact: '{"a":{},"b":[]}',
    indented: '{\n    "a": {},\n    "b": []\n}',
  },
  {
    name: 'nested, undefined members left out',
    in: { x: { y: [1, { z: 'w' }] }, skip: undefined as unknown as GoEncodable, n: 0.5 },
    compact: '{"x":{"y":[1,{"z":"w"}]},"n":0.5}',
    indented:
      '{\n    "x": {\n        "y": [\n            1,\n            {\n                "z": "w"\n            }\n        ]\n    },\n    "n": 0.5\n}',
  },
  {
    name: 'only undefined members',
    in: { a: undefined as unknown as GoEncodable },
    compact: '{}',
    indented: '{}',
  },
  {
    name: 'HTML and control escapes, U+2028',
    in: { 'k<&>': 'a"b\\c\n\r\t\u0001\u2028\u2029' },
    compact: '{"k\\u003c\\u0026\\u003e":"a\\"b\\\\c\\n\\r\\t\\u0001\\u2028\\u2029"}',
    indented: '{\n    "k\\u003c\\u0026\\u003e": "a\\"b\\\\c\\n\\r\\t\\u0001\\u2028\\u2029"\n}',
  },
  {
    name: 'a surrogate pair passes, a lone surrogate is U+FFFD',
    in: ['\ud83d\ude00', 'x\ud800y'],
    compact: '["\ud83d\ude00","x\ufffdy"]',
    indented: '[\n    "\ud83d\ude00",\n    "x\ufffdy"\n]',
  },
  { name: 'plain text', in: 'pods é日本', compact: '"pods é日本"', indented: '"pods é日本"' },
];

t.test('marshalGo and marshalIndentGo print as Go does', async (t) => {
  for (const c of cases) {
    t.equal(marshalGo(c.in), c.compact, `${c.name}: compact`);
    t.equal(marshalIndentGo(c.in), c.indented, `${c.name}: indented`);
  }
});

t.test('inherited members are not printed', async (t) => {
  const base = { inherited: 'no' };
  const v = Object.assign(Object.create(base) as Record<string, GoEncodable>, { own: 'yes' });
  t.equal(marshalGo(v), '{"own":"yes"}');
});

t.test('an undefined array item cannot be printed', async (t) => {
  t.throws(() => marshalGo([1, undefined as unknown as GoEncodable]), {
    name: 'TypeError',
    message: 'Cannot convert undefined or null to object',
  });
});
