/**
 * sprig's urlParse and urlJoin on Go's net/url: parsing (scheme, opaque, authority with userinfo and host
 * checks, escapes decoded in path and fragment, the query kept raw) and URL.String's escaping, with Go's
 * error messages. Pure.
 */
import { GoFuncError } from '../../errors.ts';
import { quote } from '../../go-strconv.ts';
import type { ByteString } from '../../../common/go-utf8.ts';
import { goMap, type GoFunc, type GoMap, type GoValue } from '../../values.ts';
import { kindName } from './convert.ts';
import { ANY_MAP, fn, nilDereference } from './define.ts';

const Mode = {
  Path: 0,
  PathSegment: 1,
  Host: 2,
  Zone: 3,
  UserPassword: 4,
  QueryComponent: 5,
  Fragment: 6,
} as const;
type Mode = (typeof Mode)[keyof typeof Mode];

class UrlError extends Error {}

interface Url {
  scheme: string;
  opaque: string;
  user: { username: string; password: string | undefined } | undefined;
  host: string;
  path: string;
  rawPath: string;
  omitHost: boolean;
  forceQuery: boolean;
  rawQuery: string;
  fragment: string;
  rawFragment: string;
}

const isAlnum = (c: string): boolean => /^[A-Za-z0-9]$/.test(c);
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);

function shouldEscape(c: string, mode: Mode): boolean {
  if (isAlnum(c)) return false;
  if ((mode === Mode.Host || mode === Mode.Zone) && `!$&'()*+,;=:[]<>"`.includes(c)) return false;
  if ('-_.~'.includes(c)) return false;
  if ('$&+,/:;=?@'.includes(c)) {
    switch (mode) {
      case Mode.Path:
        return c === '?';
      case Mode.PathSegment:
        return c === '/' || c === ';' || c === ',' || c === '?';
      case Mode.UserPassword:
        return c === '@' || c === '/' || c === '?' || c === ':';
      case Mode.QueryComponent:
        return true;
      case Mode.Fragment:
        return false;
    }
  }
  if (mode === Mode.Fragment && '!()*'.includes(c)) return false;
  return true;
}

function escapeError(text: string): UrlError {
  return new UrlError(`invalid URL escape ${quote(text)}`);
}

function unescape(text: ByteString, mode: Mode): ByteString {
  let count = 0;
  let hasPlus = false;
  for (let index = 0; index < text.length;) {
    const c = text[index]!;
    if (c === '%') {
      count++;
      if (index + 2 >= text.length || !isHex(text[index + 1]) || !isHex(text[index + 2])) {
        throw escapeError(text.slice(index, index + 3));
      }
      const triple = text.slice(index, index + 3);
      if (mode === Mode.Host && parseInt(text[index + 1]!, 16) < 8 && triple !== '%25')
        throw escapeError(triple);
      if (mode === Mode.Zone) {
        const value = String.fromCharCode(parseInt(text.slice(index + 1, index + 3), 16));
        if (triple !== '%25' && value !== ' ' && shouldEscape(value, Mode.Host)) throw escapeError(triple);
      }
      index += 3;
    } else if (c === '+') {
      hasPlus = mode === Mode.QueryComponent;
      index++;
    } else {
      if ((mode === Mode.Host || mode === Mode.Zone) && c.charCodeAt(0) < 0x80 && shouldEscape(c, mode)) {
        throw new UrlError(`invalid character ${quote(c)} in host name`);
      }
      index++;
    }
  }
  if (count === 0 && !hasPlus) return text;
  let out = '';
  for (let index = 0; index < text.length; index++) {
    const c = text[index]!;
    if (c === '%') {
      out += String.fromCharCode(parseInt(text.slice(index + 1, index + 3), 16));
      index += 2;
    } else if (c === '+') out += mode === Mode.QueryComponent ? ' ' : '+';
    else out += c;
  }
  return out;
}

function escape(text: ByteString, mode: Mode): ByteString {
  let out = '';
  for (const c of text) {
    if (c === ' ' && mode === Mode.QueryComponent) out += '+';
    else if (shouldEscape(c, mode)) out += `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
    else out += c;
  }
  return out;
}

function validOptionalPort(port: string): boolean {
  if (port === '') return true;
  return /^:[0-9]*$/.test(port);
}

function parseHost(host: ByteString): ByteString {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) throw new UrlError("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) throw new UrlError(`invalid port ${quote(colonPort)} after host`);
    const zone = host.slice(0, close).indexOf('%25');
    if (zone >= 0) {
      return (
        unescape(host.slice(0, zone), Mode.Host) +
        unescape(host.slice(zone, close), Mode.Zone) +
        unescape(host.slice(close), Mode.Host)
      );
    }
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      const colonPort = host.slice(colon);
      if (!validOptionalPort(colonPort)) throw new UrlError(`invalid port ${quote(colonPort)} after host`);
    }
  }
  return unescape(host, Mode.Host);
}

function validUserinfo(text: ByteString): boolean {
  return /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(text);
}

function parseAuthority(authority: ByteString): Pick<Url, 'user' | 'host'> {
  const at = authority.lastIndexOf('@');
  const host = parseHost(at < 0 ? authority : authority.slice(at + 1));
  if (at < 0) return { user: undefined, host };
  const userinfo = authority.slice(0, at);
  if (!validUserinfo(userinfo)) throw new UrlError('net/url: invalid userinfo');
  const colon = userinfo.indexOf(':');
  if (colon < 0)
    return { user: { username: unescape(userinfo, Mode.UserPassword), password: undefined }, host };
  return {
    user: {
      username: unescape(userinfo.slice(0, colon), Mode.UserPassword),
      password: unescape(userinfo.slice(colon + 1), Mode.UserPassword),
    },
    host,
  };
}

function getScheme(raw: ByteString): [scheme: string, rest: string] {
  for (let index = 0; index < raw.length; index++) {
    const c = raw[index]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (index === 0) return ['', raw];
      continue;
    }
    if (c === ':') {
      if (index === 0) throw new UrlError('missing protocol scheme');
      return [raw.slice(0, index), raw.slice(index + 1)];
    }
    return ['', raw];
  }
  return ['', raw];
}

function emptyUrl(): Url {
  return {
    scheme: '',
    opaque: '',
    user: undefined,
    host: '',
    path: '',
    rawPath: '',
    omitHost: false,
    forceQuery: false,
    rawQuery: '',
    fragment: '',
    rawFragment: '',
  };
}

function parseWithoutFragment(raw: ByteString): Url {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new UrlError('net/url: invalid control character in URL');
  const url = emptyUrl();
  if (raw === '*') {
    url.path = '*';
    return url;
  }
  let rest: string;
  [url.scheme, rest] = getScheme(raw);
  url.scheme = url.scheme.toLowerCase();
  if (rest.endsWith('?') && rest.split('?').length === 2) {
    url.forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const question = rest.indexOf('?');
    if (question >= 0) {
      url.rawQuery = rest.slice(question + 1);
      rest = rest.slice(0, question);
    }
  }
  if (!rest.startsWith('/')) {
    if (url.scheme !== '') {
      url.opaque = rest;
      return url;
    }
    const slash = rest.indexOf('/');
    if ((slash < 0 ? rest : rest.slice(0, slash)).includes(':')) {
      throw new UrlError('first path segment in URL cannot contain colon');
    }
  }
  if ((url.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    Object.assign(url, parseAuthority(authority));
  } else if (url.scheme !== '' && rest.startsWith('/')) {
    url.omitHost = true;
  }
  url.path = unescape(rest, Mode.Path);
  url.rawPath = escape(url.path, Mode.Path) === rest ? '' : rest;
  return url;
}

/** url.Parse; throws with Go's message (`parse "…": …`). */
export function parseUrl(raw: ByteString): Url {
  const hash = raw.indexOf('#');
  const withoutFragment = hash < 0 ? raw : raw.slice(0, hash);
  let url: Url;
  try {
    url = parseWithoutFragment(withoutFragment);
  } catch (error) {
    if (error instanceof UrlError) throw new UrlError(`parse ${quote(withoutFragment)}: ${error.message}`);
    throw error;
  }
  if (hash < 0) return url;
  const fragment = raw.slice(hash + 1);
  if (fragment === '') return url;
  try {
    url.fragment = unescape(fragment, Mode.Fragment);
  } catch (error) {
    if (error instanceof UrlError) throw new UrlError(`parse ${quote(raw)}: ${error.message}`);
    throw error;
  }
  url.rawFragment = escape(url.fragment, Mode.Fragment) === fragment ? '' : fragment;
  return url;
}

function hostname(host: string): string {
  let name = host;
  const colon = name.lastIndexOf(':');
  if (colon >= 0 && validOptionalPort(name.slice(colon))) name = name.slice(0, colon);
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  return name;
}

function userString(user: Url['user']): string {
  if (!user) return '';
  let out = escape(user.username, Mode.UserPassword);
  if (user.password !== undefined) out += `:${escape(user.password, Mode.UserPassword)}`;
  return out;
}

function escapedPath(url: Url): string {
  if (url.rawPath !== '') {
    try {
      if (unescape(url.rawPath, Mode.Path) === url.path) return url.rawPath;
    } catch {
      // Not a valid encoding of the path: fall through.
    }
  }
  if (url.path === '*') return '*';
  return escape(url.path, Mode.Path);
}

/** URL.String. */
export function formatUrl(url: Url): string {
  let out = '';
  if (url.scheme !== '') out += `${url.scheme}:`;
  if (url.opaque !== '') {
    out += url.opaque;
  } else {
    if (url.scheme !== '' || url.host !== '' || url.user) {
      if (!(url.omitHost && url.host === '' && !url.user)) {
        if (url.host !== '' || url.path !== '' || url.user) out += '//';
        if (url.user) out += `${userString(url.user)}@`;
        if (url.host !== '') out += escape(url.host, Mode.Host);
      }
    }
    const path = escapedPath(url);
    if (path !== '' && path[0] !== '/' && url.host !== '') out += '/';
    if (out === '') {
      const slash = path.indexOf('/');
      if ((slash < 0 ? path : path.slice(0, slash)).includes(':')) out += './';
    }
    out += path;
  }
  if (url.forceQuery || url.rawQuery !== '') out += `?${url.rawQuery}`;
  if (url.fragment !== '')
    out += `#${url.rawFragment !== '' ? url.rawFragment : escape(url.fragment, Mode.Fragment)}`;
  return out;
}

function stringEntry(dict: GoMap, key: string): string {
  if (!dict.entries.has(key)) return '';
  const value = dict.entries.get(key)!;
  if (value === null) throw nilDereference();
  if (typeof value !== 'string') {
    throw new GoFuncError(`unable to parse ${key} key, must be of type string, but ${kindName(value)} found`);
  }
  return value;
}

export function urlFunctions(): GoFunc[] {
  return [
    fn('urlParse', ['string'], ANY_MAP, ([raw]) => {
      let url: Url;
      try {
        url = parseUrl(raw as ByteString);
      } catch (error) {
        if (error instanceof UrlError) throw new GoFuncError(`unable to parse url: ${error.message}`);
        throw error;
      }
      const entries: [string, GoValue][] = [
        ['scheme', url.scheme],
        ['host', url.host],
        ['hostname', hostname(url.host)],
        ['path', url.path],
        ['query', url.rawQuery],
        ['opaque', url.opaque],
        ['fragment', url.fragment],
        ['userinfo', userString(url.user)],
      ];
      return goMap(entries);
    }),
    fn('urlJoin', [ANY_MAP], 'string', ([value]) => {
      const dict = value as GoMap;
      const url = emptyUrl();
      url.scheme = stringEntry(dict, 'scheme');
      url.host = stringEntry(dict, 'host');
      url.path = stringEntry(dict, 'path');
      url.rawQuery = stringEntry(dict, 'query');
      url.opaque = stringEntry(dict, 'opaque');
      url.fragment = stringEntry(dict, 'fragment');
      const userinfo = stringEntry(dict, 'userinfo');
      if (userinfo !== '') {
        try {
          url.user = parseUrl(`proto://${userinfo}@host`).user;
        } catch (error) {
          if (error instanceof UrlError)
            throw new GoFuncError(`unable to parse userinfo in dict: ${error.message}`);
          throw error;
        }
      }
      return formatUrl(url);
    }),
  ];
}
