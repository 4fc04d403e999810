// Name and label checks as k8s.io/apimachinery/pkg/util/validation words them (IsDNS1123Label,
// IsDNS1123Subdomain, IsDNS1035Label, IsQualifiedName / content.IsLabelKey, IsValidLabelValue): each
// returns kube-apiserver's messages, empty when the value is valid. Labels, selectors and object
// validation all check through these, so a message is written once.

/**
 * Remembers a name check's answer: label keys, values and names repeat across objects, and the
 * regular expressions were a large part of validating one. Bounded; the answers are read-only.
 */
export function memoizeCheck(check: (value: string) => string[]): (value: string) => readonly string[] {
  const seen = new Map<string, readonly string[]>();
  return (value) => {
    let r = seen.get(value);
    if (r === undefined) {
      if (seen.size >= 10000) seen.clear();
      r = Object.freeze(check(value));
      seen.set(value, r);
    }
    return r;
  };
}

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

const maxLenError = (n: number) => `must be no more than ${n} characters`;

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);
const dns1035LabelRe = new RegExp(`^${dns1035LabelFmt}$`);

/** The answer for a valid value (read-only; callers only read the messages). */
const noErrors: readonly string[] = Object.freeze([]);

/**
 * Whether `value` matches dns1123SubdomainRe (or, with `oneLabel`, dns1123LabelRe): dot-separated
 * labels of [a-z0-9-], each starting and ending with [a-z0-9]. A scan of its characters: generated
 * names (every Pod's) are new each time, so a memo never answers them and a regular expression and
 * the memo's insert were most of validating one.
 */
function isDNS1123Text(value: string, oneLabel: boolean): boolean {
  const n = value.length;
  if (n === 0) return false;
  // The previous character; a dot stands for the start of a label.
  let prev = 46;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 46) {
      if (oneLabel || prev === 46 || prev === 45) return false;
    } else if (c === 45) {
      if (prev === 46) return false;
    } else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57))) return false;
    prev = c;
  }
  return prev !== 45 && prev !== 46;
}

const dns1123LabelMessages = memoizeCheck((value: string): string[] => {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!dns1123LabelRe.test(value)) {
    if (dns1123SubdomainRe.test(value)) errs.push('must not contain dots');
    else
      errs.push(
        regexError(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
          dns1123LabelFmt,
          'my-name',
          '123-abc',
        ),
      );
  }
  return errs;
});

/** IsDNS1123Label. */
export function isDNS1123Label(value: string): readonly string[] {
  return value.length <= 63 && isDNS1123Text(value, true) ? noErrors : dns1123LabelMessages(value);
}

const dns1123SubdomainMessages = memoizeCheck((value: string): string[] => {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!dns1123SubdomainRe.test(value))
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        dns1123SubdomainFmt,
        'example.com',
      ),
    );
  return errs;
});

/** IsDNS1123Subdomain. */
export function isDNS1123Subdomain(value: string): readonly string[] {
  return value.length <= 253 && isDNS1123Text(value, false) ? noErrors : dns1123SubdomainMessages(value);
}

export const isDNS1035Label = memoizeCheck((value: string): string[] => {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!dns1035LabelRe.test(value))
    errs.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        dns1035LabelFmt,
        'my-name',
        'abc-123',
      ),
    );
  return errs;
});

const qualifiedNameRe = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValueRe = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const labelKeyRegexError =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

/** content.IsLabelKey (validation.IsQualifiedName): the messages kube-apiserver gives for a label key. */
export const isQualifiedName = memoizeCheck((value: string): string[] => {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) {
      errs.push('prefix part must be non-empty');
    } else {
      for (const msg of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${msg}`);
    }
  } else {
    return [
      `a valid label key ${labelKeyRegexError} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (!qualifiedNameRe.test(name)) errs.push(`name part ${labelKeyRegexError}`);
  return errs;
});

/** content.IsLabelValue (validation.IsValidLabelValue). */
export const isValidLabelValue = memoizeCheck((value: string): string[] => {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (value.length > 0 && !labelValueRe.test(value))
    errs.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    );
  return errs;
});

export function isValidPortNum(port: number): string[] {
  return port >= 1 && port <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}

/** IANA service name: what a targetPort or container port name must be. */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port))
    errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-')))
    errs.push('must not begin or end with a hyphen');
  return errs;
}
