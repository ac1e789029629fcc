// `rollout --help` and `rollout --version` without loading the command-line parser: commander and
// the command tree are ~0.14 MB to compile on every start, while the top-level help is known when
// the bundle is built. The build records the help as commander lays it out (./top-help-layout.ts),
// with the only parts that depend on the terminal's width (an item's wrapped description, the
// wrapped program description) left as slots that are filled here, at the width commander would
// use, with the same wrapping rules (Help.formatItem and Help.boxWrap of commander 14). A test
// compares the result with commander's own output at every width.

/** The top-level help as built: text with width-dependent slots, and the text after it. */
export interface TopHelp {
  /** The help with slots `\u0000<n>\u0000`, each an index into `slots`. */
  text: string;
  slots: TopHelpSlot[];
  /** What addHelpText('after') adds (written after the help, as commander does). */
  after: string;
}

/** A width-dependent part: an item (term, padded to termWidth, and its description) or a wrapped paragraph. */
export type TopHelpSlot = { item: [term: string, termWidth: number, description: string] } | { wrap: string };

// commander's Help defaults (lib/help.js): no wrapping below 40 columns; 2-space item indent and spacer.
const MIN_WIDTH_TO_WRAP = 40;
const ITEM_INDENT = 2;
const SPACER = 2;

const displayWidth = (s: string): string['length'] => s.replace(/\x1b\[\d*(;\d*)*m/g, '').length; // eslint-disable-line no-control-regex

/** Wrap at whitespace, keeping line breaks (commander's Help.boxWrap). */
export function boxWrap(str: string, width: number): string {
  if (width < MIN_WIDTH_TO_WRAP) return str;
  const out: string[] = [];
  for (const line of str.split(/\r\n|\n/)) {
    const chunks = line.match(/[\s]*[^\s]+/g);
    if (chunks === null) {
      out.push('');
      continue;
    }
    let sum = [chunks.shift()!];
    let sumWidth = displayWidth(sum[0]!);
    for (const chunk of chunks) {
      const w = displayWidth(chunk);
      if (sumWidth + w <= width) {
        sum.push(chunk);
        sumWidth += w;
        continue;
      }
      out.push(sum.join(''));
      const next = chunk.trimStart();
      sum = [next];
      sumWidth = displayWidth(next);
    }
    out.push(sum.join(''));
  }
  return out.join('\n');
}

/** A term and its wrapped description (commander's Help.formatItem). */
function formatItem(term: string, termWidth: number, description: string, helpWidth: number): string {
  const indent = ' '.repeat(ITEM_INDENT);
  if (!description) return indent + term;
  const padded = term.padEnd(termWidth + term.length - displayWidth(term));
  const remaining = helpWidth - termWidth - SPACER - ITEM_INDENT;
  const text = remaining < MIN_WIDTH_TO_WRAP || /\n[^\S\r\n]/.test(description) ? description : boxWrap(description, remaining).replace(/\n/g, `\n${' '.repeat(termWidth + SPACER)}`);
  return indent + padded + ' '.repeat(SPACER) + text.replace(/\n/g, `\n${indent}`);
}

/** The help text at a width (commander: the terminal's columns, or 80 when stdout is not a terminal). */
export function renderTopHelp(h: TopHelp, helpWidth: number): string {
  // eslint-disable-next-line no-control-regex
  const body = h.text.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => {
    const s = h.slots[Number(i)]!;
    return 'item' in s ? formatItem(s.item[0], s.item[1], s.item[2], helpWidth) : boxWrap(s.wrap, helpWidth);
  });
  return body + h.after;
}

/** The width commander would wrap the help to on this stdout. */
export function stdoutHelpWidth(): number {
  return (process.stdout.isTTY ? process.stdout.columns : undefined) ?? 80;
}
