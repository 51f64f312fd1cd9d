/*
 * From a character of a parsed string back to the text it was written as. A YAML block scalar drops
 * each line's indentation, folding turns line breaks into spaces, quotes and escapes take more
 * characters in the text than in the value: these functions walk the written text and the value side
 * by side and answer, for an offset into the value, the offset in the text where that character was
 * written.
 */

/** The kinds of scalar the `yaml` package reports (`Scalar.type`). */
export type ScalarStyle = 'PLAIN' | 'QUOTE_SINGLE' | 'QUOTE_DOUBLE' | 'BLOCK_LITERAL' | 'BLOCK_FOLDED';

const isBreak = (c: string | undefined) => c === '\n' || c === '\r';
const isBlank = (c: string | undefined) => c === ' ' || c === '\t';

/**
 * The offset in `text` of the character at `offset` of `value`, for a scalar written at
 * `text.slice(start, end)` in `style`. Exact for block literals and for one-line plain and quoted
 * strings (escapes included); for folded text, the nearest character the walk can match.
 */
export function sourceOffset(text: string, start: number, end: number, style: ScalarStyle, value: string, offset: number): number {
  if (style === 'BLOCK_LITERAL') return literalOffset(text, start, end, value, offset);
  let j = start;
  if (style === 'QUOTE_SINGLE' || style === 'QUOTE_DOUBLE') j += 1;
  // A folded block's header line (`>-`, maybe a comment) is not part of the value.
  if (style === 'BLOCK_FOLDED') j = lineEnd(text, j) + 1;
  const target = Math.max(0, Math.min(offset, value.length));
  for (let i = 0; i < value.length && j < end; ) {
    const v = value[i];
    const c = text[j];
    if (style === 'QUOTE_DOUBLE' && c === '\\') {
      // An escape stands for one character (two UTF-16 units for `\U` beyond the BMP), or for
      // nothing when it continues the line.
      const next = text[j + 1];
      if (isBreak(next)) {
        j = skipBreakAndIndent(text, j + 1);
        continue;
      }
      const length = next === 'x' ? 4 : next === 'u' ? 6 : next === 'U' ? 10 : 2;
      const units = next === 'U' && Number.parseInt(text.slice(j + 2, j + 10), 16) > 0xffff ? 2 : 1;
      if (target < i + units) return j;
      i += units;
      j += length;
      continue;
    }
    if (style === 'QUOTE_SINGLE' && c === "'" && text[j + 1] === "'" && v === "'") {
      if (i === target) return j;
      i += 1;
      j += 2;
      continue;
    }
    if (c === v || (isBreak(c) && (v === ' ' || v === '\n'))) {
      // A line break in the text is the same line break in the value, or a space where folded.
      if (i === target) return j;
      i += 1;
      j = c === '\r' && text[j + 1] === '\n' ? j + 2 : j + 1;
      if (isBreak(c)) j = skipIndent(text, j, value[i]);
      continue;
    }
    // Indentation, a folded line break the value dropped, a quote: not in the value.
    j += 1;
  }
  return Math.min(j, Math.max(start, end - 1));
}

/** A literal block keeps each line as written minus its indentation: the same line, shifted. */
function literalOffset(text: string, start: number, end: number, value: string, offset: number): number {
  const target = Math.max(0, Math.min(offset, value.length));
  const before = value.slice(0, target);
  const line = before.split('\n').length - 1;
  const column = target - (before.lastIndexOf('\n') + 1);
  const valueLine = value.split('\n')[line] ?? '';
  // The content starts on the line after the header.
  let lineStart = lineEnd(text, start) + 1;
  for (let k = 0; k < line && lineStart < end; k++) lineStart = lineEnd(text, lineStart) + 1;
  let sourceLineEnd = lineEnd(text, lineStart);
  if (text[sourceLineEnd - 1] === '\r') sourceLineEnd -= 1;
  const indent = Math.max(0, sourceLineEnd - lineStart - valueLine.length);
  return Math.min(lineStart + indent + column, Math.max(start, end));
}

function lineEnd(text: string, from: number): number {
  const at = text.indexOf('\n', from);
  return at === -1 ? text.length : at;
}

function skipBreakAndIndent(text: string, j: number): number {
  let k = text[j] === '\r' && text[j + 1] === '\n' ? j + 2 : j + 1;
  while (isBlank(text[k])) k += 1;
  return k;
}

/** After a line break, the next line's indentation, unless the value itself goes on with blanks. */
function skipIndent(text: string, j: number, next: string | undefined): number {
  if (isBlank(next)) return j;
  let k = j;
  while (isBlank(text[k])) k += 1;
  return k;
}
