// The shipments file of the upload benchmark and the file-questions eval: 100,000 rows x 6 columns (~9 MB) of
// dated shipments, two categories, a product name, a count and a price; the same bytes every time.
import fs from 'node:fs';

export function shipmentsCsv(file: string): void {
  const regions = ['North', 'South', 'East', 'West', 'Central'];
  const channels = ['web', 'store', 'partner'];
  const lines = ['day,region,channel,product,units,price'];
  for (let i = 0; i < 100_000; i += 1) {
    const day = new Date(Date.UTC(2025, 0, 1) + (i % 700) * 86_400_000).toISOString().slice(0, 10);
    lines.push(
      `${day},${regions[i % 5]},${channels[i % 3]},Product number ${(i * 7919) % 5000} deluxe edition,${(i * 31) % 97},${((i * 7919) % 100000) / 100}`,
    );
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}
