// Drives noVNC in headless Chromium: opens the page rdisplay-server's --web-port serves,
// waits for the session to show, saves the canvas, clicks at a point of the remote
// screen and types text. Usage: node novnc_check.cjs URL OUT_PNG CLICK_X CLICK_Y TEXT
// (CommonJS, so that NODE_PATH finds the playwright-core scripts/test.sh installed.)
const { chromium } = require('playwright-core');

async function main() {
const [url, outPng, clickX, clickY, text] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  // Loopback only: no background traffic to the outside world.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  page.setDefaultTimeout(30000);
  await page.goto(url);
  // noVNC puts the remote screen in a canvas once connected.
  const canvas = page.locator('#noVNC_container canvas');
  await canvas.waitFor({ state: 'visible' });
  await page.waitForFunction(() => {
    const c = document.querySelector('#noVNC_container canvas');
    if (!c || c.width < 64) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 0; i < d.length; i += 4 * 997) if (d[i] + d[i + 1] + d[i + 2] > 30) lit++;
    return lit > 50;  // something other than a black screen arrived
  });
  // Let the first full update settle: wait until two reads a moment apart agree.
  await page.waitForFunction(async () => {
    const c = document.querySelector('#noVNC_container canvas');
    const sum = () => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let s = 0; for (let i = 0; i < d.length; i += 64) s += d[i]; return s; };
    const a = sum(); await new Promise(r => setTimeout(r, 300)); return a === sum();
  });
  // The remote screen at its own resolution, whatever scaling the page applies.
  const dataUrl = await canvas.evaluate((c) => c.toDataURL('image/png'));
  require('fs').writeFileSync(outPng, Buffer.from(dataUrl.split(',')[1], 'base64'));
  const box = await canvas.boundingBox();
  const scale = box.width / (await canvas.evaluate(c => c.width));
  await page.mouse.click(box.x + Number(clickX) * scale, box.y + Number(clickY) * scale);
  await page.keyboard.type(text, { delay: 30 });
  console.log(`canvas ${box.width}x${box.height} scale ${scale}`);
} finally {
  await browser.close();
}
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
