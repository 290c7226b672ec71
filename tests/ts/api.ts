// Uses the whole public API of the npm package, as the README shows it, and
// reads every field of what it returns. `tsc --strict` checks it against
// the declarations generated from the Rust types, so a field or variant
// added, renamed or removed on one side and not the other fails `make test`.
//
// The `Required<…>` literals list every field of a type: a field the Rust
// side adds is missing here, and one it drops is an excess property. The
// `Record<Union, …>` tables list every variant of an enum the same way.

import init, {
  catalogue,
  fetchContract,
  ContractFetchError,
  ContractVersionError,
  fullLoaded,
  loadFull,
  countTokens,
  loadTokenizer,
  readerRestarts,
  tokenizerReady,
  withinTokenLimit,
  Preflight,
  type Action,
  type BudgetState,
  type CachedContract,
  type CatalogueEntry,
  type Contract,
  type FetchContractOptions,
  type FetchedContract,
  type Code,
  type ContractRef,
  type Cost,
  type ErrorCell,
  type EstimateInfo,
  type InputInfo,
  type InputKind,
  type Issue,
  type LimitCheck,
  type Location,
  type Manifest,
  type ManifestStep,
  type MeterReading,
  type Part,
  type Plan,
  type PlanKind,
  type PrepareMode,
  type PrepareOptions,
  type Progress,
  type Prepared,
  type Refusal,
  type Report,
  type Severity,
  type SheetInfo,
  type StepKind,
  type TokenCount,
  type TokenInfo,
  type Upload,
  type Verdict,
  type VerdictState,
} from "prompt-preflight";

const kinds: Record<InputKind, string> = {
  text: "plain text",
  csv: "a table",
  xlsx: "Excel",
  xls: "Excel 97-2003",
  xlsb: "Excel binary",
  ods: "OpenDocument",
  json: "JSON",
  jsonl: "JSON Lines",
  pdf: "PDF",
  unsupported: "unreadable",
};
const severities: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
const states: Record<BudgetState, string> = { ok: "ok", warn: "close", over: "over" };
const verdicts: Record<VerdictState, boolean> = { ready: true, warnings: true, empty: false, over_limit: false, fix: false };
const modes: Record<PrepareMode, true> = { trim: true, relevant: true, split: true };
const planKinds: Record<PlanKind, true> = { single: true, map_reduce: true, refuse: true };
const refusals: Record<Refusal, true> = {
  input_has_errors: true,
  nothing_left: true,
  question_needed: true,
  limit_too_small: true,
  overlap_too_large: true,
  still_over_limit: true,
  needs_whole_input: true,
  too_many_parts: true,
  answers_too_long: true,
};
const stepKinds: Record<StepKind, true> = {
  columns_removed: true,
  blank_rows_removed: true,
  duplicate_rows_removed: true,
  cells_shortened: true,
  whitespace_collapsed: true,
  boilerplate_removed: true,
  markup_removed: true,
  sections_omitted: true,
  reformatted: true,
  split: true,
};

function actionLabel(action: Action): string {
  switch (action.kind) {
    case "trim":
      return "Trim";
    case "keep_relevant":
      return "Keep what matters";
    case "split":
      return `Split into ${action.parts} parts of ${action.max_tokens} tokens`;
    case "upgrade":
      return `Upgrade to ${action.tier} (${action.max_input_tokens})`;
  }
}

function where(at: Location): Required<Location> {
  return {
    sheet: at.sheet ?? "",
    row: at.row ?? 0,
    column: at.column ?? "",
    line: at.line ?? 0,
  };
}

function issue(i: Issue): Required<Issue> {
  const code: Code = i.code;
  return {
    code,
    severity: i.severity,
    message: i.message,
    hint: i.hint,
    example: i.example ?? "",
    at: where(i.at ?? {}),
    count: i.count ?? 1,
    actions: (i.actions ?? []).map((a) => (actionLabel(a), a)),
  };
}

function cost(c: Cost): Required<Cost> {
  return {
    input_usd: c.input_usd,
    output_usd_max: c.output_usd_max,
    total_usd_max: c.total_usd_max,
    currency: c.currency,
    prices_as_of: c.prices_as_of,
  };
}

function estimate(e: EstimateInfo): Required<EstimateInfo> {
  return {
    basis: e.basis,
    basis_input: e.basis_input,
    ratio: e.ratio,
    error_bound: e.error_bound,
    safety_factor: e.safety_factor,
  };
}

function tokens(t: TokenInfo): Required<TokenInfo> {
  const state: string = states[t.state];
  return {
    model: t.model,
    encoding: t.encoding,
    exact: t.exact,
    input: t.input,
    overhead: t.overhead,
    output_reserved: t.output_reserved,
    total: t.total,
    context_window: t.context_window,
    limit: t.limit,
    warn_at: t.warn_at,
    remaining: t.remaining,
    tier: t.tier + state,
    state: t.state,
    cost: cost(t.cost),
    estimate: estimate(t.estimate ?? { basis: "o200k_base", basis_input: 0, ratio: 1, error_bound: 0, safety_factor: 1 }),
    counted_by: t.counted_by ?? "us",
  };
}

function errorCell(e: ErrorCell): Required<ErrorCell> {
  return { cell: e.cell, value: e.value };
}

function sheet(s: SheetInfo): Required<SheetInfo> {
  return {
    name: s.name,
    visible: s.visible,
    rows: s.rows,
    columns: s.columns,
    used_range: s.used_range ?? "",
    header_row: s.header_row ?? 0,
    headers: s.headers,
    merged: s.merged,
    formulas: s.formulas,
    error_cells: s.error_cells.map(errorCell),
  };
}

function input(i: InputInfo): Required<InputInfo> {
  return {
    kind: i.kind,
    bytes: i.bytes,
    encoding: i.encoding + kinds[i.kind],
    delimiter: i.delimiter ?? "",
    delimiter_name: i.delimiter_name ?? "",
    header_row: i.header_row ?? 0,
    headers: i.headers ?? [],
    rows: i.rows ?? 0,
    columns: i.columns ?? 0,
    lines: i.lines ?? 0,
    bom: i.bom ?? "",
    language: i.language ?? "",
    language_name: i.language_name ?? "",
    line_ending: i.line_ending ?? "",
    sheets: (i.sheets ?? []).map(sheet),
    selected_sheet: i.selected_sheet ?? "",
    pages: i.pages ?? 0,
    pages_without_text: i.pages_without_text ?? [],
    encrypted: i.encrypted ?? false,
  };
}

function report(r: Report): Required<Report> {
  const contract: Required<ContractRef> = { id: r.contract.id, version: r.contract.version };
  const issues = r.issues.map(issue);
  issues.sort((a, b) => severities[a.severity] - severities[b.severity]);
  const verdict: Required<Verdict> = { state: r.verdict.state, message: r.verdict.message + String(verdicts[r.verdict.state]) };
  return { ok: r.ok, verdict, contract, input: input(r.input), tokens: tokens(r.tokens), issues };
}

function progress(p: Progress): Required<Progress> {
  return { message: p.message, fraction: p.fraction };
}

function reading(m: MeterReading): Required<MeterReading> {
  return { tokens: tokens(m.tokens), issues: m.issues.map(issue), settled: m.settled };
}

function step(s: ManifestStep): Required<ManifestStep> {
  const known: true = stepKinds[s.kind];
  return {
    kind: s.kind,
    message: s.message + String(known),
    count: s.count,
    chars: s.chars ?? 0,
    tokens: s.tokens ?? 0,
    items: s.items ?? [],
    at: (s.at ?? []).map(where),
  };
}

function manifest(m: Manifest): Required<Manifest> {
  return {
    summary: m.summary,
    tokens_before: m.tokens_before,
    tokens_after: m.tokens_after,
    steps: m.steps.map(step),
  };
}

function plan(p: Plan): Required<Plan> {
  const refusal: Refusal = p.refusal ?? "input_has_errors";
  return {
    kind: p.kind,
    message: p.message + String(planKinds[p.kind]),
    requests: p.requests,
    tokens: p.tokens,
    cost_usd_max: p.cost_usd_max,
    prices_as_of: p.prices_as_of,
    refusal: refusals[refusal] ? refusal : "nothing_left",
    reason: p.reason ?? "",
  };
}

function part(p: Part): Required<Part> {
  return {
    content: p.content,
    tokens: p.tokens,
    start: p.start ?? 0,
    end: p.end ?? 0,
    start_utf16: p.start_utf16 ?? 0,
    end_utf16: p.end_utf16 ?? 0,
    own_start: p.own_start ?? 0,
    first_row: where(p.first_row ?? {}),
    last_row: where(p.last_row ?? {}),
  };
}

function prepared(p: Prepared): Required<Prepared> {
  // The upload is sent as a file when it has a name, as text when not.
  const upload: Upload = { name: p.upload.name === null ? null : p.upload.name, text: p.upload.text };
  const mode: PrepareMode = modes[p.mode] ? p.mode : "trim";
  return {
    ok: p.ok,
    mode,
    upload,
    parts: p.parts.map(part),
    tokens: tokens(p.tokens),
    manifest: manifest(p.manifest),
    plan: plan(p.plan),
    issues: p.issues.map(issue),
  };
}

function entry(e: CatalogueEntry): Required<CatalogueEntry> {
  return { code: e.code, severity: e.severity, title: e.title, hint: e.hint, example: e.example ?? null };
}

export async function main(contractToml: string, file: File): Promise<string[]> {
  await init();
  const pf = new Preflight(contractToml);
  const loaded = await loadTokenizer(pf.encoding === "cl100k_base" ? "cl100k_base" : "o200k_base", {
    onProgress: (done: number, total: number) => void (done <= total),
    cache: true,
  });
  const ready: boolean = tokenizerReady(loaded.encoding);
  const shown: string[] = [String(ready), loaded.source, String(loaded.bytes), String(readerRestarts())];

  const checked = report(pf.checkText("free", "Ada Lovelace, ada@example.com"));
  // Files and preparing need the full module: a page may ask for it early.
  const preload: Promise<void> = loadFull();
  await preload;
  shown.push(String(fullLoaded()));
  const steps: Required<Progress>[] = [];
  const fromFile = report(pf.checkFile("free", file.name, new Uint8Array(await file.arrayBuffer()), (p) => void steps.push(progress(p))));
  shown.push(String(steps.length));
  shown.push(String(checked.ok), fromFile.input.kind, String(pf.contract.tiers["free"]?.max_input_tokens));

  const meter = pf.meter(undefined);
  const typed = reading(meter.setText("Hello"));
  const edited = reading(meter.edit(0, 5, "Hello, world"));
  const now = reading(meter.reading);
  const settled = reading(meter.settle());
  shown.push(String(settled.settled));
  // The meter keeps a full check of its text, brought up to date at every edit.
  const full = report(meter.check());
  meter.edit(0, 0, "Ada. ");
  const live: Report | undefined = meter.report;
  shown.push(full.verdict.state, live ? report(live).verdict.message : "none");
  shown.push(String(typed.tokens.input + edited.tokens.input + now.tokens.input), meter.text, String(meter.length));

  const options: PrepareOptions = { mode: "relevant", question: "Who wrote it?", overlap: 50 };
  const ready2 = prepared(pf.prepareText("free", "A long text.", options));
  const fileParts = prepared(pf.prepareFile("free", file.name, new Uint8Array(), { mode: "split" }, (p: Progress) => void p.fraction));
  shown.push(ready2.plan.kind, String(fileParts.parts.length));

  const count: Required<TokenCount> = countTokens("Hello, world!", "o200k_base");
  const limit: Required<LimitCheck> = withinTokenLimit("Hello, world!", "o200k_base", 3);
  shown.push(String(count.count + Number(count.exact)), String(limit.within), String(limit.count ?? "unknown"));
  shown.push(...catalogue().map(entry).map((e) => e.code));

  try {
    new Preflight("not a contract");
  } catch (error) {
    // Every error the package throws carries a stable code.
    const coded = error as Error & { code: string; field?: string };
    shown.push(coded.code, coded.field ?? "");
  }
  return shown;
}

// One exact contract version from the server, kept by its ETag and
// revalidated on every call; a removed or retired version is a typed error.
export async function contractAt(base: string, key: string): Promise<string[]> {
  const cache = new Map<string, CachedContract>();
  const options: FetchContractOptions = {
    headers: { authorization: `Bearer ${key}` },
    cache,
    offline: "cached",
    fetch: (url, init) => fetch(url, init),
    signal: AbortSignal.timeout(10_000),
  };
  try {
    const fetched: FetchedContract = await fetchContract(base, "customer-list", "1.1.0", options);
    const contract: Contract = fetched.contract;
    const shown = [contract.id, contract.version, fetched.etag ?? "no etag", fetched.source];
    if (fetched.source === "offline") shown.push(fetched.error.code, String(fetched.error.status ?? "network"), fetched.etag);
    shown.push(new Preflight(JSON.stringify(contract)).encoding, String([...cache.values()].map((kept) => kept.etag + kept.body.length)));
    const later = await fetchContract(new URL(base), "customer-list", "2.0.0", { cache: localStorage });
    shown.push(later.contract.description ?? "", later.source);
    return shown;
  } catch (error) {
    if (error instanceof ContractVersionError) {
      const status: 404 | 410 = error.status;
      return [error.code, String(status), error.hint ?? "", error.replacement ?? "", error.docs ?? "", error.url];
    }
    if (error instanceof ContractFetchError) return [error.code, String(error.status ?? "network"), error.hint ?? "", error.id, error.version];
    throw error;
  }
}
