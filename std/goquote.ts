// Go's strconv.Quote, which is what `%q` prints: host-local's and kube-apiserver's error texts
// quote values with it, so a byte-compatible message needs the same escapes
// (https://github.com/golang/go/blob/go1.22.0/src/strconv/quote.go, appendEscapedRune).

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const graphic = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/**
 * strconv.Quote: a double-quoted Go string literal. Printable runes stay as they are; `\a \b \f
 * \n \r \t \v` get their short escapes; other control bytes `\xNN`; other unprintable runes
 * `\uNNNN` or `\UNNNNNNNN`.
 * @example goQuote('a\x07b') // '"a\\ab"'
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp === 0x07) out += '\\a';
    else if (cp === 0x08) out += '\\b';
    else if (cp === 0x0c) out += '\\f';
    else if (cp === 0x0a) out += '\\n';
    else if (cp === 0x0d) out += '\\r';
    else if (cp === 0x09) out += '\\t';
    else if (cp === 0x0b) out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0xd800 && cp < 0xe000) out += `\\u${cp.toString(16)}`;
    else if (graphic.test(ch)) out += ch;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** Go's `%q` of a []string: `["a" "b"]`. */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map(goQuote).join(' ')}]`;
}
