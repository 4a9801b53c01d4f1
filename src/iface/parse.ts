/**
 * Parses interface declarations (the strings an actor passes to `Methods.on` and `Methods.type`) into
 * an {@link ActorInterface}, and finds them in AssemblyScript source. Pure.
 *
 *   method:  "add(n: u64) -> u64"     "get() -> (u64, u32)"     "reset()"
 *   types:   "struct Entry { key: string, value: u64 }"     "enum Op { Add(u64), Reset }"
 *   type:    u8…u128 i8…i128 bool bytes string compact Vec<T> Option<T> (A, B) [T; n] Name
 *            ([u8; n] is n raw bytes, as hex)
 */
import { InterfaceError } from "./errors.ts";
import {
  type ActorInterface,
  type Field,
  type MethodDef,
  PRIMITIVES,
  type TypeDef,
  type TypeRef,
  type Variant,
} from "./types.ts";

const TOKEN = /\s*(->|[A-Za-z_][A-Za-z0-9_]*|\d+|\S)/y;

class Tokens {
  private list: string[] = [];
  private at = 0;
  constructor(readonly text: string) {
    TOKEN.lastIndex = 0;
    for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) this.list.push(m[1]!);
  }
  peek(): string | undefined {
    return this.list[this.at];
  }
  next(): string {
    const t = this.list[this.at++];
    if (t === undefined) this.fail("unexpected end");
    return t!;
  }
  eat(t: string): boolean {
    if (this.peek() !== t) return false;
    this.at++;
    return true;
  }
  expect(t: string): void {
    const got = this.next();
    if (got !== t) this.fail(`expected "${t}", got "${got}"`);
  }
  ident(): string {
    const t = this.next();
    if (!/^[A-Za-z_]\w*$/.test(t)) this.fail(`expected a name, got "${t}"`);
    return t;
  }
  end(): void {
    if (this.peek() !== undefined) this.fail(`unexpected "${this.peek()}"`);
  }
  fail(why: string): never {
    throw new InterfaceError(
      "Bad interface declaration",
      "IFACE_SYNTAX",
      `${JSON.stringify(this.text)}: ${why}`,
    );
  }
}

function typeRef(t: Tokens): TypeRef {
  if (t.eat("[")) {
    const item = typeRef(t);
    t.expect(";");
    const len = Number(t.next());
    if (!Number.isSafeInteger(len) || len < 0 || len > 1 << 20) t.fail("expected an array length");
    t.expect("]");
    return { array: item, len };
  }
  if (t.eat("(")) {
    const items: TypeRef[] = [];
    if (!t.eat(")")) {
      do items.push(typeRef(t));
      while (t.eat(","));
      t.expect(")");
    }
    return items.length === 1 ? items[0]! : { tuple: items };
  }
  const name = t.ident();
  if (name === "Vec" || name === "Option") {
    t.expect("<");
    const inner = typeRef(t);
    t.expect(">");
    return name === "Vec" ? { vec: inner } : { option: inner };
  }
  return name === "String" ? "string" : name;
}

function fields(t: Tokens, close: string): Field[] {
  const out: Field[] = [];
  if (t.eat(close)) return out;
  do {
    const name = t.ident();
    t.expect(":");
    out.push({ name, type: typeRef(t) });
  } while (t.eat(","));
  t.expect(close);
  return out;
}

/**
 * Parses one method signature. Throws {@link InterfaceError} (`IFACE_SYNTAX`).
 *
 * @example parseMethod(1, "add(n: u64) -> u64") // { id: 1, name: "add", args: [{ name: "n", type: "u64" }], returns: "u64" }
 */
export function parseMethod(id: number, signature: string): MethodDef {
  const t = new Tokens(signature);
  const name = t.ident();
  t.expect("(");
  const args = fields(t, ")");
  const returns = t.eat("->") ? typeRef(t) : null;
  t.end();
  return { id, name, args, returns };
}

/**
 * Parses one `struct Name { … }` or `enum Name { A, B(T) }` declaration.
 *
 * @example parseTypeDecl("enum Op { Add(u64), Reset }") // ["Op", { enum: [{ name: "Add", type: "u64" }, { name: "Reset" }] }]
 */
export function parseTypeDecl(decl: string): [string, TypeDef] {
  const t = new Tokens(decl);
  const kind = t.ident();
  const name = t.ident();
  t.expect("{");
  let def: TypeDef;
  if (kind === "struct") def = { struct: fields(t, "}") };
  else if (kind === "enum") {
    const variants: Variant[] = [];
    if (!t.eat("}")) {
      do {
        const v = t.ident();
        variants.push(t.eat("(") ? { name: v, type: closeParen(t, typeRef(t)) } : { name: v });
      } while (t.eat(","));
      t.expect("}");
    }
    if (variants.length > 256) t.fail("an enum has at most 256 variants");
    def = { enum: variants };
  } else t.fail(`expected "struct" or "enum", got "${kind}"`);
  t.end();
  return [name, def!];
}

const closeParen = (t: Tokens, r: TypeRef): TypeRef => {
  t.expect(")");
  return r;
};

/** Every name a type mentions must be a primitive or declared. */
function checkRefs(iface: ActorInterface): void {
  const known = (n: string) => (PRIMITIVES as readonly string[]).includes(n) || Object.hasOwn(iface.types, n);
  const visit = (r: TypeRef, where: string): void => {
    if (typeof r === "string") {
      if (!known(r)) throw new InterfaceError(`Unknown type ${r}`, "IFACE_UNKNOWN_TYPE", `in ${where}`);
    } else if ("vec" in r) visit(r.vec, where);
    else if ("array" in r) visit(r.array, where);
    else if ("option" in r) visit(r.option, where);
    else for (const x of r.tuple) visit(x, where);
  };
  for (const m of iface.methods) {
    for (const a of m.args) visit(a.type, `${m.name}(${a.name})`);
    if (m.returns !== null) visit(m.returns, `${m.name} -> …`);
  }
  for (const [name, def] of Object.entries(iface.types)) {
    if ("struct" in def) for (const f of def.struct) visit(f.type, `${name}.${f.name}`);
    else for (const v of def.enum) if (v.type !== undefined) visit(v.type, `${name}::${v.name}`);
  }
}

/**
 * Builds an interface from declarations. Throws {@link InterfaceError} on bad syntax, an unknown type
 * or a method byte, method name or type declared twice.
 *
 * @example makeInterface([[0, "get() -> u64"], [1, "add(n: u64) -> u64"]], [])
 */
export function makeInterface(methods: Array<[number, string]>, types: string[]): ActorInterface {
  const iface: ActorInterface = { version: 1, methods: [], types: {} };
  for (const decl of types) {
    const [name, def] = parseTypeDecl(decl);
    if (Object.hasOwn(iface.types, name) || (PRIMITIVES as readonly string[]).includes(name)) {
      throw new InterfaceError(`Type ${name} declared twice`, "IFACE_DUPLICATE", decl);
    }
    iface.types[name] = def;
  }
  for (const [id, sig] of methods) {
    const m = parseMethod(id, sig);
    if (iface.methods.some((x) => x.id === id || x.name === m.name)) {
      throw new InterfaceError(
        `Method ${m.name} (0x${id.toString(16)}) declared twice`,
        "IFACE_DUPLICATE",
        sig,
      );
    }
    iface.methods.push(m);
  }
  iface.methods.sort((a, b) => a.id - b.id);
  checkRefs(iface);
  return iface;
}

// `.on(0x01, add, "add(n: u64) -> u64")` and `.type("struct P { … }")` in AssemblyScript source.
const ON =
  /\.on\(\s*(0x[0-9a-fA-F]+|\d+)\s*,\s*[A-Za-z_$][\w$.]*\s*,\s*("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`)\s*,?\s*\)/g;
const TYPE = /\.type\(\s*("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`)\s*,?\s*\)/g;
const unquote = (s: string) => s.slice(1, -1).replace(/\\(.)/g, "$1");

/**
 * Finds the interface declared in an actor's source, or `undefined` when it declares none.
 * Throws {@link InterfaceError} when a declaration does not parse.
 *
 * @example interfaceFromSource(`new Methods().on(0x00, get, "get() -> u64")`)?.methods[0]?.name // "get"
 */
export function interfaceFromSource(source: string): ActorInterface | undefined {
  const methods: Array<[number, string]> = [];
  for (const m of source.matchAll(ON)) {
    const id = Number(m[1]);
    if (id > 255) throw new InterfaceError("A method byte is 0…255", "IFACE_SYNTAX", m[0]);
    methods.push([id, unquote(m[2]!)]);
  }
  const types = [...source.matchAll(TYPE)].map((m) => unquote(m[1]!));
  if (methods.length === 0 && types.length === 0) return undefined;
  return makeInterface(methods, types);
}

/**
 * Reads an interface back from the metadata's JSON text ("" = none). Throws {@link InterfaceError}
 * (`IFACE_MALFORMED`) when the text is not an interface.
 */
export function interfaceFromJson(text: string): ActorInterface | undefined {
  if (text === "") return undefined;
  let v: ActorInterface;
  try {
    v = JSON.parse(text) as ActorInterface;
  } catch (e) {
    throw new InterfaceError(
      "Malformed interface in program metadata",
      "IFACE_MALFORMED",
      (e as Error).message,
    );
  }
  if (v?.version !== 1 || !Array.isArray(v.methods) || typeof v.types !== "object") {
    throw new InterfaceError(
      "Malformed interface in program metadata",
      "IFACE_MALFORMED",
      "expected version 1",
    );
  }
  checkRefs(v);
  return v;
}
