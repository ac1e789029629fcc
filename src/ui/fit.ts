// How many terminal rows a text takes once wrapped, so that a screen can choose a compact layout
// before Ink draws past the bottom (which scrolls the title off the top of a small terminal).

/** Columns a string takes: one a code point (the screens' own texts are ASCII, arrows and dashes). */
function stringWidth(s: string): number {
  return [...s].length;
}

/** Rows `text` takes when word-wrapped at `width` columns (as Ink wraps: greedy, words longer than a row are cut). */
export function wrappedRows(text: string, width: number): number {
  if (width < 1) return Number.POSITIVE_INFINITY;
  let rows = 0;
  for (const para of text.split('\n')) {
    let line = 0;
    rows++;
    for (const word of para.split(' ').filter(Boolean)) {
      const w = stringWidth(word);
      const need = line === 0 ? w : line + 1 + w;
      if (need <= width) line = need;
      else {
        // A word wider than a row is cut across rows.
        rows += line === 0 ? Math.ceil(w / width) - 1 : Math.ceil(w / width);
        line = w % width || width;
      }
    }
  }
  return rows;
}

/** Rows whole items take when packed left to right `gap` columns apart, never split across rows. */
export function packedRows(items: string[], width: number, gap = 2): number {
  let rows = items.length ? 1 : 0;
  let line = 0;
  for (const it of items) {
    const w = stringWidth(it);
    const need = line === 0 ? w : line + gap + w;
    if (need <= width || line === 0) line = need;
    else {
      rows++;
      line = w;
    }
  }
  return rows;
}
