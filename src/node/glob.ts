/**
 * Glob-style matching with Redis's stringmatchlen rules, used by KEYS,
 * SCAN/HSCAN/SSCAN/ZSCAN MATCH, CONFIG GET and CLIENT/PUBSUB patterns:
 *
 *   *      any sequence of bytes (also empty)
 *   ?      any one byte
 *   [abc]  one of the listed bytes; [^abc] none of them; [a-z] a range
 *          (reversed ranges like [z-a] work too); \ escapes inside brackets
 *   \x     the byte x literally
 *
 * Both arguments are latin1 strings. Matching is iterative with one level of
 * backtracking for `*`, so it is O(pattern × string) in the worst case and
 * never recurses deeply (Redis limits its recursion for the same reason).
 * Every element but `*` consumes exactly one byte, which is why returning to
 * the last `*` only is enough.
 *
 * Redis quirks kept on purpose: the empty string matches only the empty
 * pattern (stringmatchlen's main loop never runs, so even `*` fails; KEYS and
 * SCAN special-case the pattern `*` before calling it); an unterminated
 * class `[abc` ends at the end of the pattern; a trailing `\` is literal.
 */
export function matchGlob(pattern: string, str: string, nocase = false): boolean {
  if (str.length === 0) return pattern.length === 0;
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = -1;
  const plen = pattern.length;
  const slen = str.length;
  while (s < slen) {
    if (p < plen) {
      const pc = pattern.charCodeAt(p);
      if (pc === 0x2a /* * */) {
        while (p + 1 < plen && pattern.charCodeAt(p + 1) === 0x2a) p++;
        if (p + 1 === plen) return true;
        starP = p;
        starS = s;
        p++;
        continue;
      }
      if (pc === 0x3f /* ? */) {
        p++;
        s++;
        continue;
      }
      if (pc === 0x5b /* [ */) {
        const r = matchClass(pattern, p, str.charCodeAt(s), nocase);
        p = r.next;
        if (r.match) {
          s++;
          continue;
        }
      } else {
        let lit = pc;
        let np = p + 1;
        if (pc === 0x5c /* \ */ && p + 1 < plen) {
          lit = pattern.charCodeAt(p + 1);
          np = p + 2;
        }
        if (sameByte(lit, str.charCodeAt(s), nocase)) {
          p = np;
          s++;
          continue;
        }
      }
    }
    if (starP >= 0) {
      p = starP + 1;
      s = ++starS;
      continue;
    }
    return false;
  }
  while (p < plen && pattern.charCodeAt(p) === 0x2a) p++;
  return p === plen;
}

function sameByte(a: number, b: number, nocase: boolean): boolean {
  if (a === b) return true;
  return nocase && lower(a) === lower(b);
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

/** Matches byte `c` against the class starting at pattern[p] === '['. */
function matchClass(pattern: string, p: number, c: number, nocase: boolean): { match: boolean; next: number } {
  const plen = pattern.length;
  p++;
  const not = p < plen && pattern.charCodeAt(p) === 0x5e; /* ^ */
  if (not) p++;
  let match = false;
  for (;;) {
    if (p >= plen) {
      // Unterminated class: Redis treats the end of the pattern as the end of the class.
      break;
    }
    const pc = pattern.charCodeAt(p);
    if (pc === 0x5c && p + 1 < plen) {
      p++;
      if (sameByte(pattern.charCodeAt(p), c, nocase)) match = true;
    } else if (pc === 0x5d /* ] */) {
      break;
    } else if (p + 2 < plen && pattern.charCodeAt(p + 1) === 0x2d /* - */) {
      let start = pattern.charCodeAt(p);
      let end = pattern.charCodeAt(p + 2);
      let cc = c;
      if (start > end) [start, end] = [end, start];
      if (nocase) {
        start = lower(start);
        end = lower(end);
        cc = lower(cc);
      }
      p += 2;
      if (cc >= start && cc <= end) match = true;
    } else if (sameByte(pc, c, nocase)) {
      match = true;
    }
    p++;
  }
  if (not) match = !match;
  // `p` is at ']' (or at the end of an unterminated class); the caller continues after it.
  return { match, next: Math.min(p + 1, plen) };
}
