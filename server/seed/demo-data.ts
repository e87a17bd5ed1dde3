// The deterministic demo data set behind `parley seed`: a small multi-tenant shop.
//
// Organisations (ids are fixed; user and order counts are exact at scale 1, whatever the anchor):
//   1  Acme Corp  largest   16,200 orders, 4,000 users, 144 products in 8 categories, brand word "Acme",
//                           emails @acme-corp.example, customers mostly in North America
//   2  Globex     medium     4,100 orders, 1,100 users,  70 products in 7 categories (no Grocery),
//                           brand word "Globex", emails @globex.example, customers mostly in Europe
//   3  Initech    smallest     800 orders,   240 users,  36 products in 6 categories (no Grocery, no Toys),
//                           brand word "Initech", emails @initech.example, customers spread out
// Every product name starts with its organisation's brand word and every email uses its organisation's
// domain, so no two organisations share a product name or an email.
//
// Data spans 2024-01-01 00:00:00 UTC up to the anchor. Orders follow a per-organisation growth curve with
// monthly seasonality (November/December peak, Black Friday and Cyber Monday spikes), fewer orders at
// weekends and at night (UTC), so the months just before the anchor are the busiest. Orders close to the
// anchor are often still `pending`; about 6% are `cancelled` and 3.5% `refunded`; the rest `completed`.
// About 15% of users never order (last_order_at NULL); every order's user signed up before it, and
// last_order_at is the user's latest order of any status.
// Money is computed in integer cents: unit_price and total_amount are exact 2-decimal values and
// total_amount = sum(quantity * unit_price) of the order's items. `--scale N` multiplies users, orders
// and (through the orders) items by N; products stay the same.
//
// Everything is drawn from pure-rand xoroshiro128+ generators with fixed seeds, so the same anchor and
// scale always give the same rows; ids are assigned here (users and orders by time across organisations,
// like an auto-increment would) so SQLite and MySQL/MariaDB hold identical data.
import type { Knex } from 'knex';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { type Dialect, dialectOf } from '../db/connect.ts';

export interface SeedOptions {
  anchor: Date;
  scale?: number;
  onProgress?: (msg: string) => void;
}

export interface SeedSummary {
  organisations: Array<{
    id: number;
    name: string;
    users: number;
    products: number;
    orders: number;
    orderItems: number;
  }>;
  /** the anchor actually used (whole seconds, UTC), e.g. `2026-11-25T12:00:00Z` */
  anchor: string;
  scale: number;
}

export type OrderStatus = 'pending' | 'completed' | 'cancelled' | 'refunded';

export interface OrganisationRow {
  id: number;
  name: string;
}
export interface UserRow {
  id: number;
  organisation_id: number;
  name: string;
  email: string;
  country: string;
  /** `YYYY-MM-DD HH:MM:SS`, UTC */
  created_at: string;
  last_order_at: string | null;
}
export interface ProductRow {
  id: number;
  organisation_id: number;
  name: string;
  category: string;
  /** exact 2-decimal value */
  price: number;
}
export interface OrderRow {
  id: number;
  organisation_id: number;
  user_id: number;
  status: OrderStatus;
  /** exact 2-decimal value, the sum of the items' quantity * unit_price */
  total_amount: number;
  created_at: string;
}
export interface OrderItemRow {
  id: number;
  organisation_id: number;
  order_id: number;
  product_id: number;
  quantity: number;
  unit_price: number;
}

export interface DemoRows {
  organisations: OrganisationRow[];
  users: UserRow[];
  products: ProductRow[];
  orders: OrderRow[];
  orderItems: OrderItemRow[];
}

/** The five demo tables, parents first (create in this order, drop in reverse). */
export const DEMO_TABLES = ['organisations', 'users', 'products', 'orders', 'order_items'] as const;

/** Start of the demo data: 2024-01-01 00:00:00 UTC. */
export const DEMO_START = new Date(Date.UTC(2024, 0, 1));
/** The anchor must be after this instant (2024-01-02 00:00:00 UTC) so there is at least one day of data. */
export const MIN_ANCHOR = new Date(Date.UTC(2024, 0, 2));

const START_SEC = DEMO_START.getTime() / 1000;
const DAY_SEC = 86_400;
const YEAR_DAYS = 365.25;
const SEED = 0x9a41e7;

export const CATEGORIES = [
  'Electronics',
  'Books',
  'Clothing',
  'Home & Garden',
  'Sports',
  'Toys',
  'Beauty',
  'Grocery',
] as const;
type Category = (typeof CATEGORIES)[number];

export const COUNTRIES = [
  'Germany',
  'France',
  'United States',
  'United Kingdom',
  'Spain',
  'Italy',
  'Netherlands',
  'Canada',
  'Japan',
  'Brazil',
] as const;
type Country = (typeof COUNTRIES)[number];

interface OrgProfile {
  id: number;
  name: string;
  brand: string;
  domain: string;
  users: number;
  orders: number;
  productsPerCategory: number;
  categories: readonly Category[];
  /** order volume multiplier per year */
  growthPerYear: number;
  /** share of users who ever order */
  buyerShare: number;
  countryWeights: Readonly<Record<Country, number>>;
}

const ORGS: readonly OrgProfile[] = [
  {
    id: 1,
    name: 'Acme Corp',
    brand: 'Acme',
    domain: 'acme-corp.example',
    users: 4000,
    orders: 16_200,
    productsPerCategory: 18,
    categories: CATEGORIES,
    growthPerYear: 1.7,
    buyerShare: 0.85,
    countryWeights: {
      'United States': 30,
      'United Kingdom': 12,
      Canada: 10,
      Germany: 10,
      France: 8,
      Japan: 8,
      Brazil: 7,
      Spain: 5,
      Italy: 5,
      Netherlands: 5,
    },
  },
  {
    id: 2,
    name: 'Globex',
    brand: 'Globex',
    domain: 'globex.example',
    users: 1100,
    orders: 4100,
    productsPerCategory: 10,
    categories: ['Electronics', 'Books', 'Clothing', 'Home & Garden', 'Sports', 'Toys', 'Beauty'],
    growthPerYear: 2.2,
    buyerShare: 0.82,
    countryWeights: {
      Germany: 28,
      France: 14,
      Netherlands: 12,
      'United Kingdom': 10,
      Spain: 8,
      Italy: 8,
      'United States': 8,
      Brazil: 5,
      Japan: 4,
      Canada: 3,
    },
  },
  {
    id: 3,
    name: 'Initech',
    brand: 'Initech',
    domain: 'initech.example',
    users: 240,
    orders: 800,
    productsPerCategory: 6,
    categories: ['Electronics', 'Books', 'Clothing', 'Home & Garden', 'Sports', 'Beauty'],
    growthPerYear: 1.3,
    buyerShare: 0.88,
    countryWeights: {
      'United States': 20,
      Canada: 15,
      'United Kingdom': 15,
      Germany: 10,
      France: 10,
      Japan: 10,
      Netherlands: 5,
      Spain: 5,
      Italy: 5,
      Brazil: 5,
    },
  },
];

/** Ids and names of the demo organisations (largest first). */
export const DEMO_ORGANISATIONS: readonly OrganisationRow[] = ORGS.map((o) => ({ id: o.id, name: o.name }));

/** `'a, b, c'` -> `['a', 'b', 'c']`, to keep the word lists below compact. */
const words = (list: string): readonly string[] => list.split(', ');

const PRODUCT_NOUNS: Readonly<Record<Category, readonly string[]>> = {
  Electronics: words(
    'Wireless Headphones, Bluetooth Speaker, USB-C Charger, Smartwatch, Laptop Stand, Mechanical Keyboard, Webcam, Power Bank, Tablet, E-Reader, Noise-Cancelling Earbuds, Portable SSD, 27-inch Monitor, Gaming Mouse, Smart Plug, Action Camera, Camera Drone, Wi-Fi Router',
  ),
  Books: words(
    "Cookbook, Mystery Novel, Travel Guide, Science Fiction Novel, Biography, Children's Picture Book, Programming Handbook, World History, Poetry Collection, Graphic Novel, Self-Help Book, Fantasy Trilogy, Gardening Almanac, Photography Book, Business Strategy Guide, Language Course, World Atlas, Crossword Collection",
  ),
  Clothing: words(
    'T-Shirt, Hoodie, Rain Jacket, Denim Jeans, Wool Sweater, Running Shorts, Sneakers, Scarf, Baseball Cap, Chinos, Polo Shirt, Leather Belt, Winter Coat, Socks (3-Pack), Summer Dress, Cardigan, Beanie, Pyjamas',
  ),
  'Home & Garden': words(
    "Garden Hose, Ceramic Planter, Scented Candle, Throw Blanket, Cast Iron Skillet, Chef's Knife, Desk Lamp, Bath Towel Set, Coffee Grinder, Pruning Shears, Bird Feeder, Storage Basket, Wall Clock, Cushion Cover, Watering Can, Lawn Sprinkler, French Press, Doormat",
  ),
  Sports: words(
    'Yoga Mat, Dumbbell Set, Tennis Racket, Football, Cycling Helmet, Water Bottle, Resistance Bands, Running Belt, Jump Rope, Camping Tent, Hiking Backpack, Swim Goggles, Basketball, Foam Roller, Kettlebell, Ski Gloves, Trekking Poles, Golf Balls',
  ),
  Toys: words(
    'Building Blocks, Plush Bear, Board Game, Remote Control Car, Kite, Doll House, Toy Train Set, Card Game, Science Kit, Modelling Clay, Wooden Blocks, Water Pistol, Marble Run, Toy Robot, Spinning Top, Jigsaw Puzzle, Art Set, Puppet Theatre',
  ),
  Beauty: words(
    'Face Cream, Lip Balm, Shampoo, Conditioner, Sunscreen SPF 50, Hand Cream, Eau de Parfum, Nail Polish, Face Mask, Body Lotion, Mascara, Beard Oil, Shower Gel, Hair Serum, Eye Cream, Bath Salts, Makeup Brush Set, Facial Toner',
  ),
  Grocery: words(
    'Olive Oil, Espresso Beans, Green Tea, Dark Chocolate, Pasta, Basmati Rice, Wildflower Honey, Granola, Maple Syrup, Peanut Butter, Sparkling Water (6-Pack), Sea Salt, Oat Milk, Strawberry Jam, Almonds, Balsamic Vinegar, Tomato Sauce, Muesli',
  ),
};

const PRODUCT_ADJECTIVES = words(
  'Classic, Premium, Eco, Pro, Compact, Deluxe, Everyday, Ultra, Essential, Signature, Original, Lite',
);

/** Price range in cents per category (sampled log-uniformly). */
const PRICE_RANGE: Readonly<Record<Category, readonly [number, number]>> = {
  Electronics: [1999, 129_999],
  Books: [599, 4999],
  Clothing: [999, 24_999],
  'Home & Garden': [799, 29_999],
  Sports: [699, 39_999],
  Toys: [499, 14_999],
  Beauty: [399, 8999],
  Grocery: [149, 3999],
};

const NAMES: Readonly<Record<Country, { first: readonly string[]; last: readonly string[] }>> = {
  Germany: {
    first: words('Lukas, Anna, Jonas, Lea, Felix, Mia, Paul, Hannah, Maximilian, Sophie'),
    last: words('Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Hoffmann, Koch'),
  },
  France: {
    first: words('Louis, Camille, Hugo, Léa, Gabriel, Chloé, Jules, Manon, Arthur, Inès'),
    last: words('Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau'),
  },
  'United States': {
    first: words('James, Emma, Michael, Olivia, David, Ava, John, Emily, Daniel, Madison'),
    last: words('Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Anderson, Taylor'),
  },
  'United Kingdom': {
    first: words('Oliver, Amelia, George, Isla, Harry, Ava, Jack, Grace, Charlie, Freya'),
    last: words('Evans, Roberts, Walker, Wright, Thompson, White, Hughes, Edwards, Green, Hall'),
  },
  Spain: {
    first: words('Hugo, Lucía, Martín, Sofía, Pablo, Martina, Alejandro, Paula, Daniel, Valeria'),
    last: words('García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, Gómez, Ruiz'),
  },
  Italy: {
    first: words('Leonardo, Giulia, Francesco, Aurora, Alessandro, Alice, Lorenzo, Ginevra, Mattia, Emma'),
    last: words('Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco'),
  },
  Netherlands: {
    first: words('Daan, Emma, Sem, Julia, Lucas, Tess, Levi, Sophie, Finn, Zoë'),
    last: words('de Jong, Jansen, de Vries, van den Berg, Bakker, Visser, Smit, Meijer, Mulder, Bos'),
  },
  Canada: {
    first: words('Liam, Charlotte, Noah, Olivia, William, Emma, Benjamin, Chloe, Ethan, Maya'),
    last: words('Tremblay, Gagnon, Roy, Côté, Bouchard, Campbell, MacDonald, Stewart, Lee, Wong'),
  },
  Japan: {
    first: words('Haruto, Yui, Sota, Hina, Yuto, Sakura, Ren, Aoi, Riku, Mei'),
    last: words('Sato, Suzuki, Takahashi, Tanaka, Watanabe, Ito, Yamamoto, Nakamura, Kobayashi, Kato'),
  },
  Brazil: {
    first: words('Miguel, Helena, Arthur, Alice, Gael, Laura, Heitor, Valentina, Davi, Beatriz'),
    last: words('Silva, Santos, Oliveira, Souza, Lima, Pereira, Ferreira, Costa, Rodrigues, Almeida'),
  },
};

/** Relative order volume per calendar month (Jan..Dec). */
const MONTH_FACTOR = [0.85, 0.8, 0.9, 0.95, 1.0, 0.95, 0.9, 0.92, 1.0, 1.05, 1.35, 1.55];
/** Relative order volume per weekday (Sun..Sat). */
const WEEKDAY_FACTOR = [0.8, 1.0, 1.05, 1.05, 1.05, 1.1, 0.85];
/** Relative order volume per UTC hour. */
const HOUR_FACTOR = [
  0.3, 0.2, 0.15, 0.1, 0.1, 0.15, 0.3, 0.5, 0.8, 1.0, 1.1, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.3, 1.4, 1.5, 1.5,
  1.3, 0.9, 0.5,
];
/** Items per order: 1..5. */
const ITEM_COUNT_WEIGHTS = [45, 28, 15, 8, 4];
/** Quantity per item: 1..5. */
const QUANTITY_WEIGHTS = [72, 18, 6, 2, 2];

type Rng = ReturnType<typeof xoroshiro128plus>;

function float(rng: Rng): number {
  return uniformFloat64(rng);
}

function cumulative(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i]!;
    out[i] = sum;
  }
  return out;
}

/** Index of the first entry of `cdf` greater than `r` (within the first `n` entries). */
function searchCdf(cdf: Float64Array, r: number, n = cdf.length): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! > r) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function pickWeighted(rng: Rng, cdf: Float64Array, n = cdf.length): number {
  return searchCdf(cdf, float(rng) * cdf[n - 1]!, n);
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[uniformInt(rng, 0, items.length - 1)]!;
}

/** Number of entries of the ascending `values` that are < `limit`. */
function countBelow(values: Float64Array | number[], limit: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `YYYY-MM-DD HH:MM:SS` (UTC) for epoch seconds. */
export function formatTimestamp(epochSeconds: number): string {
  const iso = new Date(epochSeconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** Epoch seconds of the starts of Black Friday and Cyber Monday (the Friday and Monday after US Thanksgiving). */
function shoppingDays(year: number): { blackFriday: number; cyberMonday: number } {
  const nov1 = new Date(Date.UTC(year, 10, 1)).getUTCDay();
  const thanksgiving = 1 + ((4 - nov1 + 7) % 7) + 21;
  const blackFriday = Date.UTC(year, 10, thanksgiving + 1) / 1000;
  return { blackFriday, cyberMonday: blackFriday + 3 * DAY_SEC };
}

/** Per-day sampling weights from 2024-01-01 to the anchor's day (the last day only up to the anchor). */
function dayCdf(anchorSec: number, growthPerYear: number, seasonal: boolean): Float64Array {
  const days = Math.ceil((anchorSec - START_SEC) / DAY_SEC);
  const weights = new Array<number>(days);
  const growth = Math.log(growthPerYear);
  for (let d = 0; d < days; d++) {
    const dayStart = START_SEC + d * DAY_SEC;
    const date = new Date(dayStart * 1000);
    let w = Math.exp((growth * d) / YEAR_DAYS);
    if (seasonal) {
      w *= MONTH_FACTOR[date.getUTCMonth()]! * WEEKDAY_FACTOR[date.getUTCDay()]!;
      const { blackFriday, cyberMonday } = shoppingDays(date.getUTCFullYear());
      if (dayStart === blackFriday) w *= 2.6;
      else if (dayStart === cyberMonday) w *= 2.0;
    }
    const fraction = Math.min(1, (anchorSec - dayStart) / DAY_SEC);
    weights[d] = w * fraction;
  }
  return cumulative(weights);
}

const HOUR_CDF = cumulative(HOUR_FACTOR);
const ITEM_COUNT_CDF = cumulative(ITEM_COUNT_WEIGHTS);
const QUANTITY_CDF = cumulative(QUANTITY_WEIGHTS);

/** A timestamp (epoch seconds, <= anchor) drawn from the day weights and the hour-of-day profile. */
function sampleTime(rng: Rng, days: Float64Array, anchorSec: number): number {
  const dayStart = START_SEC + pickWeighted(rng, days) * DAY_SEC;
  for (let attempt = 0; attempt < 6; attempt++) {
    const t = dayStart + pickWeighted(rng, HOUR_CDF) * 3600 + uniformInt(rng, 0, 3599);
    if (t <= anchorSec) return t;
  }
  return dayStart + uniformInt(rng, 0, Math.max(0, anchorSec - dayStart));
}

function statusFor(rng: Rng, ageDays: number): OrderStatus {
  const u = float(rng);
  let pending: number;
  let cancelled: number;
  let refunded: number;
  if (ageDays < 1) [pending, cancelled, refunded] = [0.6, 0.04, 0];
  else if (ageDays < 3) [pending, cancelled, refunded] = [0.35, 0.05, 0];
  else if (ageDays < 10) [pending, cancelled, refunded] = [0.08, 0.06, 0.02];
  else if (ageDays < 60) [pending, cancelled, refunded] = [0.01, 0.06, 0.04];
  else [pending, cancelled, refunded] = [0, 0.055, 0.035];
  if (u < pending) return 'pending';
  if (u < pending + cancelled) return 'cancelled';
  if (u < pending + cancelled + refunded) return 'refunded';
  return 'completed';
}

function asciiSlug(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

function priceCents(rng: Rng, category: Category): number {
  const [min, max] = PRICE_RANGE[category];
  const raw = Math.exp(Math.log(min) + float(rng) * (Math.log(max) - Math.log(min)));
  const ending = pick(rng, [99, 99, 99, 49, 95, 0]);
  const cents = Math.floor(raw / 100) * 100 + ending;
  return Math.max(min, Math.min(max, cents));
}

interface LocalUser {
  t: number;
  name: string;
  email: string;
  country: Country;
  lastOrder: number;
}
interface LocalItem {
  productId: number;
  quantity: number;
  unitCents: number;
}
interface LocalOrder {
  t: number;
  user: number;
  status: OrderStatus;
  totalCents: number;
  items: LocalItem[];
}
interface LocalOrg {
  profile: OrgProfile;
  users: LocalUser[];
  products: ProductRow[];
  orders: LocalOrder[];
}

function generateOrg(
  profile: OrgProfile,
  anchorSec: number,
  scale: number,
  firstProductId: number,
): LocalOrg {
  const rng = xoroshiro128plus(SEED + profile.id * 7919);

  // Products: a fixed catalogue per organisation, brand word first.
  const products: ProductRow[] = [];
  const productWeights: number[] = [];
  for (const category of profile.categories) {
    const nouns = [...PRODUCT_NOUNS[category]];
    for (let i = 0; i < profile.productsPerCategory; i++) {
      const noun = nouns.splice(uniformInt(rng, 0, nouns.length - 1), 1)[0]!;
      products.push({
        id: firstProductId + products.length,
        organisation_id: profile.id,
        name: `${profile.brand} ${pick(rng, PRODUCT_ADJECTIVES)} ${noun}`,
        category,
        price: priceCents(rng, category) / 100,
      });
      // heavy-tailed popularity: a few best sellers, a long tail
      productWeights.push(0.05 + (-Math.log(1 - float(rng))) ** 1.6);
    }
  }
  const productCdf = cumulative(productWeights);

  // Users: sign-ups follow the growth curve; the first one signs up on 2024-01-01 00:00:00.
  const userCount = profile.users * scale;
  const signupDays = dayCdf(anchorSec, profile.growthPerYear, false);
  const signups = new Float64Array(userCount);
  for (let i = 0; i < userCount; i++) signups[i] = sampleTime(rng, signupDays, anchorSec);
  signups.sort();
  signups[0] = START_SEC;
  const countryCdf = cumulative(COUNTRIES.map((c) => profile.countryWeights[c]));
  const emails = new Set<string>();
  const users: LocalUser[] = [];
  const buyerIndex: number[] = [];
  const buyerSignup: number[] = [];
  const buyerWeights: number[] = [];
  for (let i = 0; i < userCount; i++) {
    const country = COUNTRIES[pickWeighted(rng, countryCdf)]!;
    const first = pick(rng, NAMES[country].first);
    const last = pick(rng, NAMES[country].last);
    const local = `${asciiSlug(first)}.${asciiSlug(last)}`;
    let email = `${local}@${profile.domain}`;
    for (let n = 2; emails.has(email); n++) email = `${local}${n}@${profile.domain}`;
    emails.add(email);
    users.push({ t: signups[i]!, name: `${first} ${last}`, email, country, lastOrder: -1 });
    if (i === 0 || float(rng) < profile.buyerShare) {
      buyerIndex.push(i);
      buyerSignup.push(signups[i]!);
      buyerWeights.push(0.1 + (-Math.log(1 - float(rng))) ** 1.5);
    }
  }
  const buyerCdf = cumulative(buyerWeights);

  // Orders: times from the seasonal growth curve, each placed by a buyer who had signed up before.
  const orderCount = profile.orders * scale;
  const orderDays = dayCdf(anchorSec, profile.growthPerYear, true);
  const times = new Float64Array(orderCount);
  for (let i = 0; i < orderCount; i++) times[i] = sampleTime(rng, orderDays, anchorSec);
  times.sort();
  const orders: LocalOrder[] = [];
  const hasOrdered = new Uint8Array(buyerIndex.length);
  let waiting = 0; // first buyer (by sign-up) who has not ordered yet
  let previous = START_SEC;
  for (let i = 0; i < orderCount; i++) {
    let t = Math.max(times[i]!, previous);
    let eligible = countBelow(buyerSignup, t);
    if (eligible === 0) {
      t = Math.min(anchorSec, buyerSignup[0]! + uniformInt(rng, 60, 3600));
      eligible = countBelow(buyerSignup, t) || 1;
    }
    previous = t;
    // Most buyers place a first order soon after signing up; repeat orders favour the heavy buyers.
    while (waiting < eligible && hasOrdered[waiting]) waiting++;
    const buyer = waiting < eligible && float(rng) < 0.3 ? waiting : pickWeighted(rng, buyerCdf, eligible);
    hasOrdered[buyer] = 1;
    const user = buyerIndex[buyer]!;
    users[user]!.lastOrder = Math.max(users[user]!.lastOrder, t);

    const itemCount = 1 + pickWeighted(rng, ITEM_COUNT_CDF);
    const items: LocalItem[] = [];
    const seen = new Set<number>();
    let totalCents = 0;
    for (let k = 0; k < itemCount; k++) {
      let p = pickWeighted(rng, productCdf);
      for (let tries = 0; seen.has(p) && tries < 8; tries++) p = pickWeighted(rng, productCdf);
      if (seen.has(p)) continue;
      seen.add(p);
      const product = products[p]!;
      let unitCents = Math.round(product.price * 100);
      if (float(rng) < 0.08) unitCents = Math.round((unitCents * (100 - pick(rng, [10, 15, 20, 25]))) / 100);
      let quantity = 1 + pickWeighted(rng, QUANTITY_CDF);
      if (product.category === 'Grocery' && float(rng) < 0.4) quantity += uniformInt(rng, 1, 4);
      items.push({ productId: product.id, quantity, unitCents });
      totalCents += quantity * unitCents;
    }
    orders.push({ t, user, status: statusFor(rng, (anchorSec - t) / DAY_SEC), totalCents, items });
  }
  return { profile, users, products, orders };
}

function checkOptions(options: SeedOptions): { anchorSec: number; scale: number } {
  const { anchor } = options;
  if (!(anchor instanceof Date) || Number.isNaN(anchor.getTime()))
    throw new Error('anchor must be a valid Date');
  if (anchor.getTime() <= MIN_ANCHOR.getTime()) {
    throw new Error(`anchor ${anchor.toISOString()} must be after ${MIN_ANCHOR.toISOString()}`);
  }
  const scale = options.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1)
    throw new Error(`scale must be a positive integer, got ${scale}`);
  return { anchorSec: Math.floor(anchor.getTime() / 1000), scale };
}

function anchorIso(anchorSec: number): string {
  return `${new Date(anchorSec * 1000).toISOString().slice(0, 19)}Z`;
}

/** Builds the demo rows in memory: pure and deterministic for a given anchor (whole seconds) and scale. */
export function generateDemoData(options: SeedOptions): DemoRows {
  const { anchorSec, scale } = checkOptions(options);
  const locals: LocalOrg[] = [];
  let nextProductId = 1;
  for (const profile of ORGS) {
    const org = generateOrg(profile, anchorSec, scale, nextProductId);
    nextProductId += org.products.length;
    locals.push(org);
  }

  // Users and orders get ids in time order across organisations (as an auto-increment would);
  // the sort is stable, so ties keep organisation order and then generation order.
  const userRefs = locals.flatMap((org) => org.users.map((u, i) => ({ org, u, i })));
  userRefs.sort((a, b) => a.u.t - b.u.t || a.org.profile.id - b.org.profile.id);
  const userIds = new Map<LocalOrg, Int32Array>(locals.map((o) => [o, new Int32Array(o.users.length)]));
  const users: UserRow[] = userRefs.map(({ org, u, i }, n) => {
    userIds.get(org)![i] = n + 1;
    return {
      id: n + 1,
      organisation_id: org.profile.id,
      name: u.name,
      email: u.email,
      country: u.country,
      created_at: formatTimestamp(u.t),
      last_order_at: u.lastOrder < 0 ? null : formatTimestamp(u.lastOrder),
    };
  });

  const orderRefs = locals.flatMap((org) => org.orders.map((o) => ({ org, o })));
  orderRefs.sort((a, b) => a.o.t - b.o.t || a.org.profile.id - b.org.profile.id);
  const orders: OrderRow[] = [];
  const orderItems: OrderItemRow[] = [];
  for (const { org, o } of orderRefs) {
    const orderId = orders.length + 1;
    orders.push({
      id: orderId,
      organisation_id: org.profile.id,
      user_id: userIds.get(org)![o.user]!,
      status: o.status,
      total_amount: o.totalCents / 100,
      created_at: formatTimestamp(o.t),
    });
    for (const item of o.items) {
      orderItems.push({
        id: orderItems.length + 1,
        organisation_id: org.profile.id,
        order_id: orderId,
        product_id: item.productId,
        quantity: item.quantity,
        unit_price: item.unitCents / 100,
      });
    }
  }

  return {
    organisations: ORGS.map((o) => ({ id: o.id, name: o.name })),
    users,
    products: locals.flatMap((o) => o.products),
    orders,
    orderItems,
  };
}

/** Per-organisation row counts of generated rows. */
export function summarise(rows: DemoRows, anchor: string, scale: number): SeedSummary {
  const count = (list: Array<{ organisation_id: number }>, id: number) =>
    list.reduce((n, r) => (r.organisation_id === id ? n + 1 : n), 0);
  return {
    organisations: rows.organisations.map((o) => ({
      id: o.id,
      name: o.name,
      users: count(rows.users, o.id),
      products: count(rows.products, o.id),
      orders: count(rows.orders, o.id),
      orderItems: count(rows.orderItems, o.id),
    })),
    anchor,
    scale,
  };
}

/** Drops the five demo tables (children first) and creates them again with keys and indexes. */
export async function recreateSchema(db: Knex, dialect: Dialect): Promise<void> {
  for (const table of [...DEMO_TABLES].reverse()) await db.schema.dropTableIfExists(table);
  const money = (t: Knex.CreateTableBuilder, name: string) =>
    dialect === 'mysql' ? t.decimal(name, 12, 2).notNullable() : t.specificType(name, 'REAL').notNullable();
  const common = (t: Knex.CreateTableBuilder) => {
    if (dialect === 'mysql') {
      t.engine('InnoDB');
      t.charset('utf8mb4');
    }
  };
  const orgRef = (t: Knex.CreateTableBuilder) =>
    t.integer('organisation_id').notNullable().references('id').inTable('organisations');

  await db.schema.createTable('organisations', (t) => {
    common(t);
    t.integer('id').primary();
    t.string('name', 100).notNullable().unique();
  });
  await db.schema.createTable('users', (t) => {
    common(t);
    t.integer('id').primary();
    orgRef(t);
    t.string('name', 100).notNullable();
    t.string('email', 191).notNullable();
    t.string('country', 64).notNullable();
    t.datetime('created_at').notNullable();
    t.datetime('last_order_at').nullable();
    t.index(['organisation_id'], 'users_organisation_id_index');
    t.index(['created_at'], 'users_created_at_index');
    t.unique(['organisation_id', 'email'], { indexName: 'users_organisation_id_email_unique' });
  });
  await db.schema.createTable('products', (t) => {
    common(t);
    t.integer('id').primary();
    orgRef(t);
    t.string('name', 150).notNullable();
    t.string('category', 64).notNullable();
    money(t, 'price');
    t.index(['organisation_id'], 'products_organisation_id_index');
    t.index(['category'], 'products_category_index');
  });
  await db.schema.createTable('orders', (t) => {
    common(t);
    t.integer('id').primary();
    orgRef(t);
    t.integer('user_id').notNullable().references('id').inTable('users');
    t.string('status', 16).notNullable();
    money(t, 'total_amount');
    t.datetime('created_at').notNullable();
    t.index(['organisation_id'], 'orders_organisation_id_index');
    t.index(['created_at'], 'orders_created_at_index');
    t.index(['organisation_id', 'created_at'], 'orders_organisation_id_created_at_index');
    t.index(['user_id'], 'orders_user_id_index');
  });
  await db.schema.createTable('order_items', (t) => {
    common(t);
    t.integer('id').primary();
    orgRef(t);
    t.integer('order_id').notNullable().references('id').inTable('orders');
    t.integer('product_id').notNullable().references('id').inTable('products');
    t.integer('quantity').notNullable();
    money(t, 'unit_price');
    t.index(['organisation_id'], 'order_items_organisation_id_index');
    t.index(['order_id'], 'order_items_order_id_index');
    t.index(['product_id'], 'order_items_product_id_index');
  });
}

const BATCH_ROWS = 1000;

/** Multi-row `INSERT ... VALUES (...), (...)` in batches (knex's SQLite insert would use UNION ALL). */
async function insertRows<T extends object>(
  db: Knex,
  table: string,
  rows: readonly T[],
  progress: (msg: string) => void,
): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!) as Array<keyof T>;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const head = `insert into ${table} (${columns.join(', ')}) values `;
  for (let start = 0; start < rows.length; start += BATCH_ROWS) {
    const batch = rows.slice(start, start + BATCH_ROWS);
    const bindings: unknown[] = [];
    for (const row of batch) for (const c of columns) bindings.push(row[c]);
    await db.raw(head + new Array(batch.length).fill(tuple).join(', '), bindings as Knex.RawBinding[]);
  }
  progress(`inserted ${rows.length} ${table}`);
}

/**
 * Drops and recreates organisations, users, products, orders and order_items, then fills them with the
 * demo data (inside one transaction; on SQLite the schema change is part of it too, MySQL commits DDL).
 */
export async function seedDemoData(db: Knex, options: SeedOptions): Promise<SeedSummary> {
  const progress = options.onProgress ?? (() => {});
  const { anchorSec, scale } = checkOptions(options);
  const dialect = dialectOf(db);
  progress(`generating demo data (anchor ${anchorIso(anchorSec)}, scale ${scale})`);
  const rows = generateDemoData({ anchor: new Date(anchorSec * 1000), scale });

  const fill = async (conn: Knex) => {
    await insertRows(conn, 'organisations', rows.organisations, progress);
    await insertRows(conn, 'users', rows.users, progress);
    await insertRows(conn, 'products', rows.products, progress);
    await insertRows(conn, 'orders', rows.orders, progress);
    await insertRows(conn, 'order_items', rows.orderItems, progress);
  };
  progress(`recreating tables (${dialect})`);
  if (dialect === 'sqlite') {
    await db.transaction(async (trx) => {
      await recreateSchema(trx, dialect);
      await fill(trx);
    });
  } else {
    await recreateSchema(db, dialect);
    await db.transaction(async (trx) => fill(trx));
  }
  // fresh tables have no statistics: without them correlated EXISTS filters pick the tenant index (19 s vs 6 ms),
  // in SQLite and in MariaDB alike (InnoDB computes them in the background, later)
  if (dialect === 'sqlite') await db.raw('ANALYZE');
  else await db.raw(`ANALYZE TABLE ${DEMO_TABLES.map(() => '??').join(', ')}`, [...DEMO_TABLES]);
  return summarise(rows, anchorIso(anchorSec), scale);
}
