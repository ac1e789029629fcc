// The terminal's size, updated on resize, so that screens re-lay out (80x24 is the floor we design for).
import { useEffect, useState } from 'react';
import { useStdout } from 'ink';

/** Columns and rows of the terminal (80x24 when unknown, as in tests). */
export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = (): { columns: number; rows: number } => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const on = (): void => {
      const now = read();
      setSize((was) => (was.columns === now.columns && was.rows === now.rows ? was : now));
    };
    stdout.on('resize', on);
    // A resize between the first render and this effect had no listener yet: read the size again.
    on();
    return () => {
      stdout.off('resize', on);
    };
  }, [stdout]);
  return size;
}
