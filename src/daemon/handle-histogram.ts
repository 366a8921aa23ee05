// The time each event takes through the pipeline, counted from the daemon's first event in fixed
// buckets. It lives apart from prom-client (loaded only at the first /metrics scrape, ~13 MB) so
// that a scrape, whenever it comes, sees every event.

/** Upper bounds in seconds, Prometheus's `le`. */
export const HANDLE_BUCKETS = [5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 5e-3, 0.02, 0.1] as const;

export class HandleHistogram {
  /** Per bucket (not cumulative), the last one for +Inf. */
  readonly counts = new Float64Array(HANDLE_BUCKETS.length + 1);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < HANDLE_BUCKETS.length && seconds > HANDLE_BUCKETS[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }

  /** Prometheus's text exposition of it, one series per bucket, with these labels. */
  exposition(name: string, help: string, labels: Record<string, string>): string {
    const lab = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
    const with_ = (extra?: string) => `{${[...lab, ...(extra !== undefined ? [extra] : [])].join(",")}}`;
    const out = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
    let cum = 0;
    HANDLE_BUCKETS.forEach((le, i) => {
      cum += this.counts[i]!;
      out.push(`${name}_bucket${with_(`le="${le}"`)} ${cum}`);
    });
    out.push(`${name}_bucket${with_('le="+Inf"')} ${this.count}`);
    out.push(`${name}_sum${with_()} ${this.sum}`);
    out.push(`${name}_count${with_()} ${this.count}`);
    return out.join("\n") + "\n";
  }
}
