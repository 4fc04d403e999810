// goQuote against Go's strconv.Quote (go1.22): each `want` is what Go prints for `in`.
import t from 'tap';
import { goQuote, goQuoteList } from '../../std/index.js';

const cases: ReadonlyArray<{ in: string; want: string }> = [
  { in: '', want: '""' },
  { in: 'abc', want: '"abc"' },
  { in: 'a\x07b', want: '"a\\ab"' },
  { in: '\b\f\n\r\t\v', want: '"\\b\\f\\n\\r\\t\\v"' },
  { in: '\x00', want: '"\\x00"' },
  { in: '\x1b[0m', want: '"\\x1b[0m"' },
  { in: '\x7f', want: '"\\x7f"' },
  { in: '"', want: '"\\""' },
  { in: '\\', want: '"\\\\"' },
  { in: "it's", want: '"it\'s"' },
  { in: '"Fran & Freddie\'s Diner\t☺"', want: '"\\"Fran & Freddie\'s Diner\\t☺\\""' },
  { in: '\u0080', want: '"\\u0080"' },
  { in: '\u00a0', want: '"\\u00a0"' },
  { in: '\u00ad', want: '"\\u00ad"' },
  { in: 'é日本', want: '"é日本"' },
  { in: '\u2028', want: '"\\u2028"' },
  { in: '\u200b', want: '"\\u200b"' },
  { in: '\ufeff', want: '"\\ufeff"' },
  { in: '\ufffd', want: '"\ufffd"' },
  { in: '😀', want: '"😀"' },
  { in: '\u{e0001}', want: '"\\U000e0001"' },
];

t.test('goQuote is strconv.Quote', async (t) => {
  for (const c of cases) t.equal(goQuote(c.in), c.want, c.want);
});

t.test('goQuoteList is %q of a []string', async (t) => {
  t.equal(goQuoteList([]), '[]');
  t.equal(goQuoteList(['a', 'b\x07']), '["a" "b\\a"]');
});
