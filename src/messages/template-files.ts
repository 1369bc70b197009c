/**
 * The template files of the owners' messages and the re-auth page, and how each is read and compiled. The built-in
 * files are the top-level templates/ directory, shipped with the service; a file of the same path under
 * TEMPLATES_DIR replaces its built-in one, and every other falls back to it.
 *
 * Handlebars: logic-less, so a customer's template can show values and choose between texts but never run code;
 * `{{value}}` is HTML-escaped in .html files (text files are not HTML, so nothing is escaped there). Templates are
 * compiled in strict mode and tried once with sample values when loaded, so a misspelt variable fails the start,
 * not a delivery.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

export const BUILT_IN_TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/** A template that cannot be used; the message names the file and what to do. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** A compiled template: values in, text out. */
export type Render = (values: Record<string, unknown>) => string;

/** One template file as read: its path under the templates directory, where it came from, its text. */
export interface TemplateSource {
  path: string;
  where: string;
  text: string;
}

const handlebars = Handlebars.create();

export class TemplateFiles {
  /** The paths read so far: a file of TEMPLATES_DIR that is none of them is a mistake (a misspelt name). */
  private readonly known = new Set<string>();

  constructor(
    private readonly overrideDir: string | undefined,
    private readonly builtInDir: string = BUILT_IN_TEMPLATES_DIR
  ) {
    if (overrideDir && !(existsSync(overrideDir) && statSync(overrideDir).isDirectory()))
      throw new TemplateError(
        `TEMPLATES_DIR ${overrideDir} is not a directory: point it at your templates, or unset it`
      );
  }

  /** The file at `path` (e.g. `en/reauth_required/sms.txt`): TEMPLATES_DIR's when it has one, else the built-in. */
  read(path: string): TemplateSource {
    this.known.add(path);
    if (this.overrideDir && existsSync(join(this.overrideDir, path))) {
      return this.readFrom(join(this.overrideDir, path), path, `TEMPLATES_DIR/${path}`);
    }
    return this.readFrom(join(this.builtInDir, path), path, `templates/${path} (built in)`);
  }

  /** A TemplateError for `source` saying what is wrong and what to do. */
  problem(source: Pick<TemplateSource, 'where'>, what: string): TemplateError {
    const todo = source.where.startsWith('TEMPLATES_DIR/')
      ? 'fix the file, or remove it from TEMPLATES_DIR to use the built-in one'
      : 'the installation is incomplete: the service needs its templates/ directory beside src/ or dist/';
    return new TemplateError(`template ${source.where}: ${what}; ${todo}`);
  }

  /** Compiles `source` (HTML-escaping values when `html`) and tries it with `sample`, the values it will be given. */
  compile(source: TemplateSource, sample: Record<string, unknown>, html = false): Render {
    return this.compileText(source, source.text, sample, html);
  }

  /** Compiles `text`, a part of `source` (a string of a JSON file), as a plain-text template. */
  compileText(source: TemplateSource, text: string, sample: Record<string, unknown>, html = false): Render {
    let render: Render;
    try {
      handlebars.parse(text);
      render = handlebars.compile(text, { strict: true, knownHelpersOnly: true, noEscape: !html });
      render(sample);
    } catch (err) {
      throw this.problem(source, handlebarsProblem(err));
    }
    return render;
  }

  /** The JSON object in `source`, or a TemplateError. */
  json(source: TemplateSource): Record<string, unknown> {
    let value: unknown;
    try {
      value = JSON.parse(source.text);
    } catch (err) {
      throw this.problem(source, `not valid JSON (${(err as Error).message})`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw this.problem(source, 'not a JSON object');
    return value as Record<string, unknown>;
  }

  /** Throws for a file of TEMPLATES_DIR that no template has the path of (dot files aside). */
  refuseUnknownOverrides(): void {
    if (!this.overrideDir) return;
    const unknown = filesUnder(this.overrideDir)
      .map((file) => relative(this.overrideDir!, file).split(sep).join('/'))
      .filter((path) => !this.known.has(path));
    if (unknown.length > 0) {
      throw new TemplateError(
        `TEMPLATES_DIR/${unknown[0]} is not a template of this service: name it as its built-in file is named under templates/ (e.g. en/reauth_required/sms.txt), or remove it`
      );
    }
  }

  private readFrom(file: string, path: string, where: string): TemplateSource {
    try {
      return { path, where, text: readFileSync(file, 'utf8') };
    } catch (err) {
      throw this.problem({ where }, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}

/** Handlebars' message on one line: `Parse error on line 2: … Expecting …`, or `"nmae" not defined …`. */
function handlebarsProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const lines = message.split('\n').filter((line) => line.trim() !== '' && !/^-*\^$/.test(line));
  if (/not defined/.test(message)) return `${lines.join(' ')} (a variable this template is not given)`;
  return lines.join(' ');
}
