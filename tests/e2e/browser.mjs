// Debian's Chromium, headless, launched the one way both browser checks need it (never a downloaded browser):
// CHROMIUM names the binary (scripts/e2e.sh sets it), else /usr/bin/chromium.
import { chromium } from 'playwright-core';

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
