// IsDNS1123Label and IsDNS1123Subdomain (k8s.io/apimachinery/pkg/util/validation): valid exactly
// when the value matches apimachinery's expressions and fits the length. The checks scan a value's
// characters; here every short string over an alphabet that reaches each rule is held to the
// expressions themselves, and the edge rows name what they test.
import t from 'tap';
import { isDNS1123Label, isDNS1123Subdomain } from '../../api/names.js';

// apimachinery's dns1123LabelFmt and dns1123SubdomainFmt.
const label = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const labelRe = new RegExp(`^${label}$`);
const subdomainRe = new RegExp(`^${label}(\\.${label})*$`);

const rows: ReadonlyArray<{ in: string; label: boolean; subdomain: boolean }> = [
  { in: 'web-1', label: true, subdomain: true },
  { in: 'node-1.zone-a', label: false, subdomain: true },
  { in: '', label: false, subdomain: false },
  { in: '-a', label: false, subdomain: false },
  { in: 'a-', label: false, subdomain: false },
  { in: 'a.-b', label: false, subdomain: false },
  { in: 'a-.b', label: false, subdomain: false },
  { in: 'a..b', label: false, subdomain: false },
  { in: '.a', label: false, subdomain: false },
  { in: 'a.', label: false, subdomain: false },
  { in: 'Web', label: false, subdomain: false },
  { in: 'a_b', label: false, subdomain: false },
  { in: 'a'.repeat(63), label: true, subdomain: true },
  { in: 'a'.repeat(64), label: false, subdomain: true },
  { in: 'a'.repeat(253), label: false, subdomain: true },
  { in: 'a'.repeat(254), label: false, subdomain: false },
];

t.test('the edge rows', async (t) => {
  for (const r of rows) {
    const name = `${JSON.stringify(r.in.length > 20 ? `${r.in.slice(0, 3)}...(${r.in.length})` : r.in)}`;
    t.equal(isDNS1123Label(r.in).length === 0, r.label, `label ${name}`);
    t.equal(isDNS1123Subdomain(r.in).length === 0, r.subdomain, `subdomain ${name}`);
  }
});

t.test('every string of up to five characters over a.-0A_ answers as the expressions do', async (t) => {
  const alphabet = ['a', '.', '-', '0', 'A', '_'];
  let wrong = 0;
  let checked = 0;
  const visit = (s: string) => {
    checked++;
    if ((isDNS1123Label(s).length === 0) !== labelRe.test(s)) wrong++;
    if ((isDNS1123Subdomain(s).length === 0) !== subdomainRe.test(s)) wrong++;
    if (s.length < 5) for (const c of alphabet) visit(s + c);
  };
  visit('');
  t.equal(checked, 9331);
  t.equal(wrong, 0, 'no string answered otherwise');
  // An invalid value still gets apimachinery's message.
  t.match(isDNS1123Label('a_b')[0], /^a lowercase RFC 1123 label must consist of/);
});
