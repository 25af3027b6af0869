import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * What the console's browser tests need from the machine: a chromium that playwright-core
 * drives (Debian's /usr/bin/chromium, or REKINDLE_CHROMIUM) and a Chinese font, without which
 * the zh-CN pages render as boxes. Shared by `scripts/test-prerequisites.ts` (run by `npm test`)
 * and the tests themselves.
 */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ENV = 'REKINDLE_CHROMIUM';
export const APT_PACKAGES = { chromium: 'chromium', font: 'fonts-wqy-microhei' } as const;

const setting = (): string | undefined => {
  const value = process.env[CHROMIUM_ENV];
  return value === undefined || value === '' ? undefined : value;
};

export const chromiumPath = (): string => setting() ?? DEFAULT_CHROMIUM;
export const chromiumFromEnv = (): boolean => setting() !== undefined;

export const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export const hasChineseFont = (): boolean => {
  const r = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
};

export interface Missing {
  readonly chromium: boolean;
  readonly font: boolean;
}

export const missingPrerequisites = (): Missing => ({
  chromium: !isExecutable(chromiumPath()),
  font: !hasChineseFont(),
});

/** Another chromium or Chrome on PATH, to suggest for REKINDLE_CHROMIUM. */
const chromiumOnPath = (): string | undefined => {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (candidate !== chromiumPath() && isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
};

/** One message that says exactly what is missing and how to provide it. */
export const prerequisiteAdvice = (missing: Missing): string => {
  const what: string[] = [];
  if (missing.chromium)
    what.push(
      chromiumFromEnv()
        ? `${CHROMIUM_ENV}=${chromiumPath()} is not an executable file`
        : `chromium is not installed at ${DEFAULT_CHROMIUM}`,
    );
  if (missing.font) what.push('no Chinese font is installed (`fc-list :lang=zh` lists none)');
  const packages = [
    ...(missing.chromium && !chromiumFromEnv() ? [APT_PACKAGES.chromium] : []),
    ...(missing.font ? [APT_PACKAGES.font] : []),
  ];
  const other = missing.chromium ? chromiumOnPath() : undefined;
  const fixes = [
    ...(packages.length > 0
      ? [
          `install ${packages.join(' and ')} (Debian/Ubuntu: \`sudo apt-get install -y ${packages.join(' ')}\`;` +
            ' `npm test` does this itself when run as root where apt-get exists)',
        ]
      : []),
    ...(missing.chromium
      ? [
          `set ${CHROMIUM_ENV} to a chromium or Chrome executable` +
            (other !== undefined ? ` (found: ${CHROMIUM_ENV}=${other})` : '') +
            (chromiumFromEnv() ? ` or unset it to use ${DEFAULT_CHROMIUM}` : ''),
        ]
      : []),
  ];
  return `The console's browser tests cannot run: ${what.join('; ')}.\nTo fix it, ${fixes.join(',\nor ')}.`;
};
