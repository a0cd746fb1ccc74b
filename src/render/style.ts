// Renderers are pure: they take a Style and return strings. The CLI passes a coloured Style on a
// TTY; everything else (tests, files, pipes, NO_COLOR) gets plain text.

export interface Style {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const id = (s: string) => s;

export const PLAIN: Style = { red: id, green: id, yellow: id, cyan: id, bold: id, dim: id };

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
