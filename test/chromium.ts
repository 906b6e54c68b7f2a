/**
 * A Chromium for the browser tests, with nothing installed by hand. playwright-core never downloads a browser (and
 * nothing could be downloaded here), so the order is:
 *   1. CHROMIUM_PATH, when set;
 *   2. Debian's `chromium`, when installed (it is what users of the e2e test have, and the fastest to start);
 *   3. the headless Chromium that the `@sparticuz/chromium` devDependency ships inside its npm package, inflated once
 *      into a cache folder together with the libraries and fonts it ships, so it needs nothing from the system
 *      beyond glibc.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Browser, type LaunchOptions } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

interface ChromiumChoice {
  executablePath: string;
  env?: Record<string, string>;
  /** Where it came from, for error messages. */
  source: string;
}

let cachedChoice: ChromiumChoice | undefined;

function systemChromium(): string | undefined {
  const found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((candidate) => fs.existsSync(candidate));
  if (found) return found;
  try {
    return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function cacheRoot(): string {
  return process.env.DURABLE_DEVKIT_CACHE ?? path.join(os.homedir(), ".cache", "durable-devkit");
}

/**
 * Inflates @sparticuz/chromium's brotli files into a cache folder (once per package version). The package inflates
 * into os.tmpdir(), so a child process does it with TMPDIR pointed at a private staging folder, which is then renamed
 * into place: two test runs at once never see a half-written browser. AWS_EXECUTION_ENV makes the package inflate
 * the libraries it ships (NSS, NSPR, expat) as it does on Lambda; we put them on LD_LIBRARY_PATH ourselves.
 */
function packagedChromium(): ChromiumChoice {
  let entry: string;
  try {
    entry = require.resolve("@sparticuz/chromium");
  } catch {
    throw new Error(
      "No Chromium for the browser tests: the devDependency @sparticuz/chromium is not installed (run `npm install`), Debian's `chromium` is not installed, and CHROMIUM_PATH is not set.",
    );
  }
  const packageJson = path.join(entry.slice(0, entry.lastIndexOf(`${path.sep}build${path.sep}`)), "package.json");
  const version = (JSON.parse(fs.readFileSync(packageJson, "utf8")) as { version: string }).version;
  const folder = path.join(cacheRoot(), `sparticuz-chromium-${version}`);
  const executablePath = path.join(folder, "chromium");
  if (!fs.existsSync(executablePath)) {
    fs.mkdirSync(cacheRoot(), { recursive: true });
    const staging = fs.mkdtempSync(path.join(cacheRoot(), `.sparticuz-chromium-${version}-`));
    try {
      const script = `require(${JSON.stringify(entry)}).executablePath().then((p) => process.stdout.write(p))`;
      execFileSync(process.execPath, ["-e", script], {
        env: { ...process.env, TMPDIR: staging, AWS_EXECUTION_ENV: "AWS_Lambda_nodejs20.x" },
        encoding: "utf8",
        timeout: 180_000,
        stdio: ["ignore", "pipe", "pipe"],
      });
      try {
        fs.renameSync(staging, folder);
      } catch (error) {
        // Another test run finished first: use its copy.
        if (!fs.existsSync(executablePath)) throw error;
      }
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? "";
      throw new Error(`Could not unpack the Chromium that @sparticuz/chromium ships into ${folder}: ${(error as Error).message}${stderr ? `\n${stderr}` : ""}`);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  const libraries = path.join(folder, "al2023", "lib");
  return {
    executablePath,
    env: {
      LD_LIBRARY_PATH: [libraries, process.env.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter),
      FONTCONFIG_FILE: fontConfigFor(folder),
    },
    source: `the headless Chromium from @sparticuz/chromium ${version} (${folder})`,
  };
}

/**
 * The package's own fonts.conf names Lambda's folders (/var/task/fonts, /tmp/fonts), which do not exist here, so
 * fontconfig found no font at all and Chromium aborted in its font fallback ("SkFontMgr_FontConfigInterface ... Not
 * implemented") on the first page that needed one. Ours names the fonts the package inflated, then the system's.
 */
function fontConfigFor(folder: string): string {
  const file = path.join(folder, "durable-devkit-fonts.conf");
  const dirs = [path.join(folder, "fonts"), "/usr/share/fonts", "/usr/local/share/fonts", path.join(os.homedir(), ".fonts")];
  const xml = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
    "<fontconfig>",
    ...dirs.map((dir) => `  <dir>${dir}</dir>`),
    `  <cachedir>${path.join(folder, "fontconfig-cache")}</cachedir>`,
    "</fontconfig>",
    "",
  ].join("\n");
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== xml) {
    // Written beside, then renamed: a test run that starts at the same moment never reads half a file.
    const staging = `${file}.${process.pid}`;
    fs.writeFileSync(staging, xml);
    fs.renameSync(staging, file);
  }
  return file;
}

export function chooseChromium(): ChromiumChoice {
  if (cachedChoice) return cachedChoice;
  const fromEnvironment = process.env.CHROMIUM_PATH;
  if (fromEnvironment) {
    if (!fs.existsSync(fromEnvironment))
      throw new Error(`CHROMIUM_PATH is ${fromEnvironment}, which does not exist: unset it to use Debian's chromium or the one npm install brought.`);
    cachedChoice = { executablePath: fromEnvironment, source: `CHROMIUM_PATH (${fromEnvironment})` };
  } else {
    const system = systemChromium();
    cachedChoice = system ? { executablePath: system, source: `Debian's chromium (${system})` } : packagedChromium();
  }
  return cachedChoice;
}

function definedEnvironment(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** Launches the chosen Chromium headless; a failure says which browser it tried and why it did not start. */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const choice = chooseChromium();
  try {
    return await chromium.launch({
      ...options,
      executablePath: choice.executablePath,
      args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
      env: { ...definedEnvironment(), ...choice.env, ...options.env },
    });
  } catch (error) {
    throw new Error(`Chromium did not start (${choice.source}): ${(error as Error).message}`);
  }
}
