import { CloakError } from './errors.ts';

/**
 * Splits a command line into words the way a POSIX shell would without expanding anything: whitespace
 * separates, single quotes keep everything, double quotes keep all but `\"` and `\\`, a backslash escapes
 * the next character. Used for EDITOR-style variables, which must not be handed to a shell.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i] as string;
    if (char === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw unterminated(line);
      word += line.slice(i + 1, end);
      started = true;
      i = end;
    } else if (char === '"') {
      i++;
      for (; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) i++;
        word += line[i];
      }
      if (i >= line.length) throw unterminated(line);
      started = true;
    } else if (char === '\\' && i + 1 < line.length) {
      word += line[++i];
      started = true;
    } else if (/\s/.test(char)) {
      if (started) words.push(word);
      word = '';
      started = false;
    } else {
      word += char;
      started = true;
    }
  }
  if (started) words.push(word);
  return words;
}

function unterminated(line: string): CloakError {
  return new CloakError('ERR_SHELL_WORDS', `unterminated quote in command ${JSON.stringify(line)}`);
}
