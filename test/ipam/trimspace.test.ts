// goTrimSpace against Go's strings.TrimSpace: host-local trims an address file's content (and the
// container ID it writes) before comparing. Each `want` is what Go returns for `in`.
import t from 'tap';
import { goTrimSpace } from '../../ipam/hostlocal/store.js';

const cases: ReadonlyArray<{ in: string; want: string }> = [
  { in: '', want: '' },
  { in: 'abc', want: 'abc' },
  { in: 'abc\r\neth0', want: 'abc\r\neth0' },
  { in: ' abc ', want: 'abc' },
  { in: '\t\n\v\f\r abc\r\n', want: 'abc' },
  { in: '\u0085abc\u00a0', want: 'abc' },
  { in: '\u1680\u2000abc\u200a\u2028', want: 'abc' },
  { in: '\u2029\u202fabc\u205f\u3000', want: 'abc' },
  { in: 'a b', want: 'a b' },
  { in: '   ', want: '' },
  { in: '\u200babc', want: '\u200babc' },
  { in: '\u180eabc', want: '\u180eabc' },
  { in: 'abc\u0000', want: 'abc\u0000' },
];

t.test('goTrimSpace is strings.TrimSpace', async (t) => {
  // Named by code points: a raw U+2028 in a test name would break the TAP stream.
  const name = (s: string) => [...s].map((ch) => ch.codePointAt(0)!.toString(16).padStart(4, '0')).join(' ');
  for (const c of cases) t.equal(goTrimSpace(c.in), c.want, name(c.in));
});
