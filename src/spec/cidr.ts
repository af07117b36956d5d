import { quote } from '../model/quote.js';
import { isIPv4, isIPv6 } from 'node:net';

/** A parsed CIDR block: its address family, network address as a number, and prefix length. */
export interface Cidr {
  text: string;
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

/** Parses `a.b.c.d/n` or an IPv6 block; returns an error sentence instead when it is not valid. */
export function parseCidr(text: string): Cidr | { error: string } {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return { error: `${quote(text)} is not a CIDR block (expected address/prefix, e.g. 10.0.0.0/16)` };
  const [, addr, p] = m;
  const family = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
  if (!family) return { error: `${quote(text)} does not start with a valid IP address` };
  const bits = family === 4 ? 32 : 128;
  const prefix = Number(p);
  if (prefix > bits) return { error: `${quote(text)} has prefix /${prefix}, more than ${bits} bits` };
  const value = family === 4 ? ipv4ToBigInt(addr) : ipv6ToBigInt(addr);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((value & hostMask) !== 0n) {
    const network = value & ~hostMask;
    return { error: `${quote(text)} has host bits set; the block is ${formatAddress(network, family)}/${prefix}` };
  }
  return { text, family, network: value, prefix };
}

/** True when two blocks of the same family share any address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const bits = a.family === 4 ? 32 : 128;
  const shorter = Math.min(a.prefix, b.prefix);
  const shift = BigInt(bits - shorter);
  return a.network >> shift === b.network >> shift;
}

function ipv4ToBigInt(addr: string): bigint {
  return addr.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6ToBigInt(addr: string): bigint {
  let text = addr;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4ToBigInt(v4[1]);
    text = text.slice(0, -v4[1].length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function formatAddress(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((value >> s) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}
