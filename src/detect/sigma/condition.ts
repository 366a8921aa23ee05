// A Sigma `condition`: selection names joined by and, or, not and parentheses, and the
// quantifiers `1 of X*`, `all of X*`, `1 of them`, `all of them`. Precedence is the
// specification's: not, then and, then or. Aggregations (`| count() > 5`) and `near` are a
// different language (correlation) and are refused by name.
import { SigmaRefusal, SigmaSyntaxError } from "./errors.js";

export type Pred<T> = (x: T) => boolean;

type Token = { t: "(" | ")" | "and" | "or" | "not" | "of" | "1" | "all" | "them" } | { t: "id"; v: string };

function tokenize(text: string): Token[] {
  if (text.includes("|")) throw new SigmaRefusal("aggregation", `${JSON.stringify(text)}: aggregations (| count(), | near) are Sigma correlations, not single-event conditions`);
  const out: Token[] = [];
  for (const word of text.replace(/[()]/g, " $& ").split(/\s+/).filter(Boolean)) {
    const w = word.toLowerCase();
    if (w === "(" || w === ")" || w === "and" || w === "or" || w === "not" || w === "of" || w === "all" || w === "them") out.push({ t: w });
    else if (w === "1" || w === "any") out.push({ t: "1" });
    else if (w === "near") throw new SigmaRefusal("near", "temporal proximity is a Sigma correlation");
    else if (/^[\w*?.-]+$/.test(word)) out.push({ t: "id", v: word });
    else throw new SigmaSyntaxError(`condition: ${JSON.stringify(word)} is not a selection name or an operator`);
  }
  return out;
}

/** A parsed condition; quantifiers are expanded to and/or over the selections they name. */
export type CondAst = { op: "and" | "or"; kids: CondAst[] } | { op: "not"; kid: CondAst } | { op: "sel"; name: string };

/** Compiles the condition against the named selections; every name must exist, every pattern must match one. */
export function compileCondition<T>(text: string, selections: ReadonlyMap<string, Pred<T>>): Pred<T> {
  return predOf(parseCondition(text, [...selections.keys()]), selections);
}

export function predOf<T>(ast: CondAst, selections: ReadonlyMap<string, Pred<T>>): Pred<T> {
  switch (ast.op) {
    case "sel":
      return selections.get(ast.name)!;
    case "not": {
      const p = predOf(ast.kid, selections);
      return (x) => !p(x);
    }
    case "and": {
      const ps = ast.kids.map((k) => predOf(k, selections));
      return ps.length === 1 ? ps[0]! : (x) => ps.every((p) => p(x));
    }
    case "or": {
      const ps = ast.kids.map((k) => predOf(k, selections));
      return ps.length === 1 ? ps[0]! : (x) => ps.some((p) => p(x));
    }
  }
}

export function parseCondition(text: string, selectionNames: readonly string[]): CondAst {
  const selections = new Set(selectionNames);
  const toks = tokenize(text);
  let i = 0;
  const peek = () => toks[i]?.t;
  const fail = (what: string): never => {
    throw new SigmaSyntaxError(`condition ${JSON.stringify(text)}: ${what}`);
  };
  const expect = (t: Token["t"]): void => {
    if (peek() !== t) fail(`expected ${t}${i < toks.length ? ` at word ${i + 1}` : " at the end"}`);
    i++;
  };
  const named = (pattern: string): CondAst[] => {
    if (pattern === "them") {
      const ps = [...selections].filter((n) => !n.startsWith("_")).map((name): CondAst => ({ op: "sel", name }));
      return ps.length > 0 ? ps : fail("them names no selection (every name starts with _)");
    }
    if (!/[*?]/.test(pattern)) {
      return selections.has(pattern) ? [{ op: "sel", name: pattern }] : fail(`${pattern} is not a selection of this rule (it has ${[...selections.keys()].join(", ")})`);
    }
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\-]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
    const ps = [...selections].filter((n) => re.test(n)).map((name): CondAst => ({ op: "sel", name }));
    return ps.length > 0 ? ps : fail(`no selection is named like ${pattern}`);
  };
  const primary = (): CondAst => {
    const k = peek();
    if (k === "(") {
      i++;
      const e = or();
      expect(")");
      return e;
    }
    if (k === "1" || k === "all") {
      i++;
      expect("of");
      const tok = toks[i];
      if (!tok || (tok.t !== "id" && tok.t !== "them")) return fail("a quantifier needs a selection pattern or them");
      i++;
      const ps = named(tok.t === "id" ? tok.v : "them");
      return ps.length === 1 ? ps[0]! : { op: k === "1" ? "or" : "and", kids: ps };
    }
    const tok = toks[i];
    if (tok?.t === "id") {
      i++;
      if (/[*?]/.test(tok.v)) fail(`${tok.v}: a name pattern needs a quantifier (1 of ${tok.v}, all of ${tok.v})`);
      return named(tok.v)[0]!;
    }
    return fail(tok ? `unexpected ${tok.t} at word ${i + 1}` : "ends where a selection was expected");
  };
  const not = (): CondAst => {
    if (peek() === "not") {
      i++;
      return { op: "not", kid: not() };
    }
    return primary();
  };
  const and = (): CondAst => {
    const ps = [not()];
    while (peek() === "and") {
      i++;
      ps.push(not());
    }
    return ps.length === 1 ? ps[0]! : { op: "and", kids: ps };
  };
  const or = (): CondAst => {
    const ps = [and()];
    while (peek() === "or") {
      i++;
      ps.push(and());
    }
    return ps.length === 1 ? ps[0]! : { op: "or", kids: ps };
  };
  if (toks.length === 0) fail("is empty");
  const e = or();
  if (i < toks.length) fail(`unexpected ${toks[i]!.t === "id" ? (toks[i] as { v: string }).v : toks[i]!.t} at word ${i + 1}`);
  return e;
}
