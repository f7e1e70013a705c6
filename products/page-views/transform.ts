import { isIPv4, isIPv6 } from 'node:net';
import { defineTransform } from 'dataprod';
import type { ClicksInput, Device, PageViewsOutput } from './types.gen.js';

/** Self-declared automated clients. Disguised bots are out of reach of a user-agent check. */
const BOT = /bot|crawler|spider|headless/i;

// Device markers in (lower-cased) user agents. Android tablets say "Android" without "Mobile";
// Android phones say both, so the tablet check runs first.
const TABLET = /ipad|tablet|kindle|silk\/|playbook/;
const MOBILE = /mobi|iphone|ipod|android|windows phone|blackberry|opera mini/;
const DESKTOP = /windows nt|macintosh|x11|cros/;

function deviceOf(userAgent: string, screenWidth: number | null): Device {
  const ua = userAgent.toLowerCase();
  if (TABLET.test(ua) || (ua.includes('android') && !ua.includes('mobile'))) return 'tablet';
  if (MOBILE.test(ua)) return 'mobile';
  if (DESKTOP.test(ua)) return 'desktop';
  // In-app web views, smart TVs, unusual browsers: fall back on the usual CSS breakpoints.
  if (screenWidth === null) return 'other';
  if (screenWidth < 768) return 'mobile';
  if (screenWidth < 1024) return 'tablet';
  return 'desktop';
}

/** A query parameter, or null when it is absent or blank (`?utm_source=`). */
function param(url: URL, name: string): string | null {
  const value = url.searchParams.get(name)?.trim();
  return value ? value : null;
}

/** Host of the referring page. document.referrer is free text: anything unusable counts as none. */
function referrerHost(referrer: string | null): string | null {
  if (referrer === null || !URL.canParse(referrer)) return null;
  const host = new URL(referrer).hostname; // '' for about:blank and the like
  return host === '' ? null : host;
}

/** The eight 16-bit groups of a valid IPv6 address (zone id already removed). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  // A dotted IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  if (tail === undefined) return headGroups.map((g) => parseInt(g, 16));
  const tailGroups = tail === '' ? [] : tail.split(':');
  const zeros = new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].map((g) => parseInt(g, 16));
}

/**
 * Zeroes the host part of the client IP: an IPv4 address keeps its /24 (203.0.113.42 ->
 * 203.0.113.0), an IPv6 address its first 3 groups, the /48 routing prefix, written in the
 * canonical compressed form (2001:0db8:85a3:0:0:8a2e:370:7334 -> 2001:db8:85a3::).
 */
function maskIp(ip: string): string {
  if (isIPv4(ip)) return `${ip.slice(0, ip.lastIndexOf('.'))}.0`;
  const address = ip.replace(/%.*$/, ''); // fe80::1%eth0: the zone id is local to the client
  if (!isIPv6(address)) throw new Error('ip is neither an IPv4 nor an IPv6 address');
  const groups = ipv6Groups(address);
  // An IPv4-mapped address (::ffff:a.b.c.d) is an IPv4 client behind a dual-stack proxy.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.0`;
  }
  const prefix = groups.slice(0, 3);
  // Trailing zero groups of the prefix join the zero run that `::` stands for.
  while (prefix.length > 0 && prefix[prefix.length - 1] === 0) prefix.pop();
  return `${prefix.map((g) => g.toString(16)).join(':')}::`;
}

export default defineTransform<ClicksInput, PageViewsOutput>((click) => {
  if (BOT.test(click.user_agent)) return null;

  // The contract only checks the scheme (^https?://); a URL the WHATWG parser rejects (a space in
  // the host, a port above 65535) throws here and dead-letters the click with reason `transform`.
  const url = new URL(click.url);

  return {
    view_id: click.click_id,
    session_id: click.session_id,
    host: url.hostname,
    path: url.pathname,
    utm_source: param(url, 'utm_source'),
    utm_campaign: param(url, 'utm_campaign'),
    referrer_host: referrerHost(click.referrer),
    device: deviceOf(click.user_agent, click.screen_width),
    client_ip: maskIp(click.ip),
    viewed_at: click.event_time,
  };
});
