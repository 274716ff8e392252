import { describe, expect, it } from 'vitest';
import { formatKeyval, formatQemuOpts, optGet, parseKeyval, parseQemuOpts, type KvNode } from '../../src/config/index.js';

function opts(s: string, impliedKey?: string) {
  const r = parseQemuOpts(s, impliedKey === undefined ? {} : { impliedKey });
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** A keyval tree as plain objects/arrays for comparisons. */
function plain(n: KvNode): unknown {
  if (n.kind === 'str') return n.value;
  if (n.kind === 'list') return n.items.map(plain);
  return Object.fromEntries([...n.entries].map(([k, v]) => [k, plain(v)]));
}

describe('QemuOpts (util/qemu-option.c opts_do_parse)', () => {
  it('reads key=value items in order, keeping repeated keys', () => {
    expect(opts('a=1,b=2,a=3').opts).toEqual([
      { name: 'a', value: '1' }, { name: 'b', value: '2' }, { name: 'a', value: '3' },
    ]);
    expect(optGet(opts('a=1,b=2,a=3').opts, 'a')).toBe('3');
  });

  it('",," is a literal comma inside a value', () => {
    expect(opts('cmd=a,,b,,,,c,x=1').opts).toEqual([{ name: 'cmd', value: 'a,b,,c' }, { name: 'x', value: '1' }]);
  });

  it('the implied key applies to the first item only, and unescapes ",,"', () => {
    expect(opts('user,hostname=h', 'type').opts).toEqual([{ name: 'type', value: 'user' }, { name: 'hostname', value: 'h' }]);
    expect(opts('we,,ird,x=1', 'type').opts[0]).toEqual({ name: 'type', value: 'we,ird' });
    // The first item has '=' before its first ',': no implied key.
    expect(opts('hostname=h,user', 'type').opts).toEqual([{ name: 'hostname', value: 'h' }, { name: 'user', value: 'on' }]);
  });

  it('a bare key is key=on, nokey is key=off, both with the 7.2 deprecation warning', () => {
    const r = opts('user,restrict,noipv6', 'type');
    expect(r.opts).toEqual([
      { name: 'type', value: 'user' }, { name: 'restrict', value: 'on' }, { name: 'ipv6', value: 'off' },
    ]);
    expect(r.warnings).toEqual([
      { message: "short-form boolean option 'restrict' deprecated", hint: 'Please use restrict=on instead' },
      { message: "short-form boolean option 'noipv6' deprecated", hint: 'Please use ipv6=off instead' },
    ]);
  });

  it('the nodelay flag gets its special hint', () => {
    expect(opts('x,nodelay', 'type').warnings[0]?.hint).toBe('Please use nodelay=on instead');
  });

  it('bare help and ? are flags that do not warn', () => {
    const r = opts('e1000,help,?', 'driver');
    expect(r.opts).toEqual([{ name: 'driver', value: 'e1000' }, { name: 'help', value: 'on' }, { name: '?', value: 'on' }]);
    expect(r.warnings).toEqual([]);
  });

  it('flag names do not unescape ",," (each comma ends an item)', () => {
    expect(opts('x,foo,,bar', 'type').opts.map((o) => o.name)).toEqual(['type', 'foo', '', 'bar']);
  });

  it('takes the first id= as the id and drops every id item', () => {
    const r = opts('user,id=a,x=1,id=b', 'type');
    expect(r.id).toBe('a');
    expect(r.opts).toEqual([{ name: 'type', value: 'user' }, { name: 'x', value: '1' }]);
  });

  it("rejects an id that is not an identifier with QEMU's message and hint", () => {
    for (const bad of ['1a', '', 'a b', 'a,,b', '_x']) {
      const r = parseQemuOpts(`user,id=${bad}`, { impliedKey: 'type' });
      expect(r).toEqual({
        ok: false,
        error: "Parameter 'id' expects an identifier",
        hint: "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.",
      });
    }
    expect(opts('user,id=a-b.c_d9', 'type').id).toBe('a-b.c_d9');
  });

  it('ignores a trailing comma and reads empty values', () => {
    expect(opts('a=,b=2,').opts).toEqual([{ name: 'a', value: '' }, { name: 'b', value: '2' }]);
  });

  it('stops at NUL like the C string would', () => {
    expect(opts('a=1\0,b=2').opts).toEqual([{ name: 'a', value: '1' }]);
  });

  it('formatQemuOpts writes what parseQemuOpts reads', () => {
    const list = [{ name: 'type', value: 'a=b' }, { name: 'v', value: 'x,y' }, { name: 'e', value: '' }];
    const text = formatQemuOpts(list, { impliedKey: 'type', id: 'n1' });
    expect(text).toBe('type=a=b,v=x,,y,e=,id=n1');
    expect(opts(text, 'type')).toEqual({ id: 'n1', opts: list, warnings: [] });
    expect(formatQemuOpts([{ name: 'type', value: 'user' }], { impliedKey: 'type' })).toBe('user');
  });
});

describe('keyval (util/keyval.c)', () => {
  const kv = (s: string, implied?: string) => {
    const r = parseKeyval(s, implied);
    if (!r.ok) throw new Error(r.error);
    return { tree: plain(r.value), help: r.help };
  };
  const kvErr = (s: string, implied?: string) => {
    const r = parseKeyval(s, implied);
    if (r.ok) throw new Error('expected an error');
    return r.error;
  };

  it('builds a tree from dotted keys, with the implied first key', () => {
    expect(kv('stream,id=s,addr.type=inet,addr.host=h,,x', 'type').tree).toEqual({
      type: 'stream', id: 's', addr: { type: 'inet', host: 'h,x' },
    });
  });

  it('a repeated key replaces the earlier value', () => {
    expect(kv('a=1,a=2').tree).toEqual({ a: '2' });
  });

  it('numeric fragments make lists', () => {
    expect(kv('l.1=b,l.0=a').tree).toEqual({ l: ['a', 'b'] });
    expect(kvErr('l.0=a,l.2=c')).toBe("Parameter 'l.1' missing");
    expect(kvErr('l.0=a,l.x=c')).toBe("Parameters 'l.*' used inconsistently");
  });

  it('reports help for a bare help or ?', () => {
    expect(kv('stream,help', 'type').help).toBe(true);
    expect(kv('?').help).toBe(true);
    expect(kv('a=1').help).toBe(false);
  });

  it("uses QEMU's messages for malformed keys", () => {
    expect(kvErr('a=1,b')).toBe("Expected '=' after parameter 'b'");
    expect(kvErr('a b=1')).toBe("Invalid parameter 'a b'");
    expect(kvErr('1=x')).toBe("Invalid parameter '1'");
    expect(kvErr(',a=1')).toBe("Invalid parameter ''");
    expect(kvErr('a=1,a.b=2')).toBe("Parameters 'a.*' used inconsistently");
    expect(kvErr('a.b=2,a=1')).toBe("Parameters 'a.*' used inconsistently");
    expect(kvErr(`${'k'.repeat(128)}=1`)).toBe(`Parameter '${'k'.repeat(128)}' is too long`);
    expect(kvErr(`a.${'k'.repeat(128)}=1`)).toBe(`Parameter fragment '${'k'.repeat(128)}' is too long`);
  });

  it('the implied value is raw text up to the first , or =', () => {
    expect(kvErr('a,,b', 'type')).toBe("Invalid parameter ''");
  });

  it('formatKeyval writes what parseKeyval reads', () => {
    const r = parseKeyval('dgram,id=d,local.type=inet,local.host=a,,b,local.port=1', 'type');
    if (!r.ok) throw new Error(r.error);
    const again = parseKeyval(formatKeyval(r.value, 'type'), 'type');
    if (!again.ok) throw new Error(again.error);
    expect(plain(again.value)).toEqual(plain(r.value));
  });
});
