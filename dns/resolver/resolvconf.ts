// resolv.conf as the C libraries read it (glibc res_init / musl __get_resolv_conf) and as a
// container runtime writes it for a pod (containerd: search, nameserver..., options).

/** The options the stub resolver acts on; numbers as written (each libc clamps on use). */
export interface ResolvOptions {
  /** Dots a name needs before it is tried as-is first. Default 1. */
  ndots: number;
  /** Seconds to wait for a reply (glibc: per try; musl: in all). Default 5. */
  timeout: number;
  /** Tries per nameserver (glibc) / sends per query (musl). Default 2. */
  attempts: number;
  /** glibc: add an EDNS0 OPT record (UDP size 1200). */
  edns0: boolean;
  /** glibc: query over TCP from the start. */
  useVc: boolean;
  /** glibc: send A and AAAA one after the other (same trace, different timing). */
  singleRequest: boolean;
  singleRequestReopen: boolean;
  /** glibc: rotate nameservers per query (not modelled: nameservers are tried in order). */
  rotate: boolean;
  /** glibc: never query a single-label name as-is. */
  noTldQuery: boolean;
  /** glibc 2.36+: do not send AAAA queries. */
  noAaaa: boolean;
}

export const defaultResolvOptions: Readonly<ResolvOptions> = {
  ndots: 1,
  timeout: 5,
  attempts: 2,
  edns0: false,
  useVc: false,
  singleRequest: false,
  singleRequestReopen: false,
  rotate: false,
  noTldQuery: false,
  noAaaa: false,
};

export interface ResolvConf {
  /** As written (glibc and musl use the first 3). */
  nameservers: string[];
  /** The last `search` or `domain` line wins. */
  search: string[];
  options: ResolvOptions;
}

export interface ParsedResolvConf extends ResolvConf {
  /** `options` words as written, in order (what kubelet merges). */
  optionWords: string[];
  /** Lines a libc ignores, each as `FILE:LINE: why`. */
  warnings: string[];
}

const flagOptions: Readonly<Record<string, keyof ResolvOptions>> = {
  edns0: 'edns0',
  'use-vc': 'useVc',
  'single-request': 'singleRequest',
  'single-request-reopen': 'singleRequestReopen',
  rotate: 'rotate',
  'no-tld-query': 'noTldQuery',
  'no-aaaa': 'noAaaa',
};
const numberOptions = ['ndots', 'timeout', 'attempts'] as const;
// Known to glibc but with no effect on what the stub resolver sends.
const inertOptions = new Set([
  'debug',
  'trust-ad',
  'no-reload',
  'no-check-names',
  'inet6',
  'ip6-bytestring',
  'ip6-dotint',
  'no-ip6-dotint',
]);

/**
 * Parses resolv.conf text. Like the C libraries it never fails: what it cannot use it skips, and
 * says so in `warnings` (with the file name and line).
 *
 * @example
 * parseResolvConf('search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n')
 */
export function parseResolvConf(text: string, file = 'resolv.conf'): ParsedResolvConf {
  const conf: ParsedResolvConf = {
    nameservers: [],
    search: [],
    options: { ...defaultResolvOptions },
    optionWords: [],
    warnings: [],
  };
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const where = `${file}:${index + 1}`;
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('#') || line.startsWith(';')) return;
    const words = line
      .trim()
      .split(/[ \t]+/)
      .filter(Boolean);
    const keyword = words[0];
    if (keyword === undefined) return;
    const args = words.slice(1);
    switch (keyword) {
      case 'nameserver':
        if (args[0] === undefined) {
          conf.warnings.push(`${where}: nameserver without an address`);
          return;
        }
        conf.nameservers.push(args[0]);
        if (conf.nameservers.length === 4) {
          conf.warnings.push(`${where}: more than 3 nameservers; only the first 3 are used`);
        }
        return;
      case 'domain':
        conf.search = args.slice(0, 1);
        return;
      case 'search':
        conf.search = args;
        return;
      case 'options':
        for (const word of args) {
          conf.optionWords.push(word);
          parseOption(word, conf, where);
        }
        return;
      case 'sortlist':
        return;
      default:
        conf.warnings.push(`${where}: unknown keyword "${keyword}"`);
    }
  });
  return conf;
}

function parseOption(word: string, conf: ParsedResolvConf, where: string): void {
  const colon = word.indexOf(':');
  const name = colon < 0 ? word : word.slice(0, colon);
  const flag = flagOptions[name];
  if (flag !== undefined && colon < 0) {
    (conf.options as unknown as Record<string, boolean>)[flag] = true;
    return;
  }
  if ((numberOptions as readonly string[]).includes(name) && colon > 0) {
    const value = Number.parseInt(word.slice(colon + 1), 10);
    if (Number.isNaN(value)) {
      conf.warnings.push(`${where}: option "${word}": not a number`);
      return;
    }
    conf.options[name as (typeof numberOptions)[number]] = Math.max(0, value);
    return;
  }
  if (inertOptions.has(name)) return;
  conf.warnings.push(`${where}: unknown option "${word}"`);
}

/** The DNS config a runtime turns into a pod's /etc/resolv.conf. */
export interface DNSConfigLines {
  nameservers: readonly string[];
  searches: readonly string[];
  options: readonly string[];
}

/**
 * The file as containerd writes it (`search` line, one `nameserver` line each, `options` line;
 * empty parts left out).
 */
export function formatResolvConf(c: DNSConfigLines): string {
  let out = '';
  if (c.searches.length > 0) out += `search ${c.searches.join(' ')}\n`;
  for (const ns of c.nameservers) out += `nameserver ${ns}\n`;
  if (c.options.length > 0) out += `options ${c.options.join(' ')}\n`;
  return out;
}
