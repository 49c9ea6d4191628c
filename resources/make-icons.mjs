#!/usr/bin/env node
// Renders resources/icon.svg into the PNG icons electron-builder packs (512 for Linux and the macOS
// .icns, 256 for the Windows .ico). Run it after editing the SVG: `node resources/make-icons.mjs`.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

const here = dirname(fileURLToPath(import.meta.url));
const svg = join(here, 'icon.svg');
for (const size of [512, 256]) {
  const out = join(here, size === 512 ? 'icon.png' : `icon-${size}.png`);
  await sharp(svg, { density: 144 }).resize(size, size).png().toFile(out);
  console.log(`${out} ${size}x${size}`);
}
