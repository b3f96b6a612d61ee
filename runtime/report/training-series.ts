/**
 * The training side of the report from metrics.jsonl (and summary.json when the run finished): per-stage
 * curves and a stage table. Stages appear in the IR's order; a stage with no metrics yet still gets a row.
 */
import type { MetricsLine, RunContents } from '../views/run-dir.ts';
import type { StageRow, StageSeries } from './data.ts';

export function stageSeries(run: Pick<RunContents, 'ir' | 'metrics'>): StageSeries[] {
  const byStage = new Map<string, MetricsLine[]>();
  for (const m of run.metrics) {
    if (typeof m.stage !== 'string') continue;
    (byStage.get(m.stage) ?? byStage.set(m.stage, []).get(m.stage)!).push(m);
  }
  const names = [...run.ir.stages.map((s) => s.name), ...[...byStage.keys()].filter((n) => !run.ir.stages.some((s) => s.name === n))];
  return names.map((name) => {
    const lines = byStage.get(name) ?? [];
    const kind = run.ir.stages.find((s) => s.name === name)?.kind ?? 'unknown';
    return {
      name,
      kind,
      tokens: lines.map((l) => num(l.tokens)),
      runTokens: lines.map((l) => num(l.run_tokens)),
      loss: lines.map((l) => num(l.loss)),
      lr: lines.map((l) => num(l.lr)),
      tokensPerS: lines.map((l) => num(l.tokens_per_s)),
    };
  });
}

export function stageRows(series: StageSeries[], run: Pick<RunContents, 'metrics' | 'summary'>): StageRow[] {
  const summaryStages = Array.isArray(run.summary?.stages) ? (run.summary!.stages as Record<string, unknown>[]) : [];
  return series.map((s) => {
    const done = summaryStages.find((x) => x.name === s.name);
    const lines = run.metrics.filter((m) => m.stage === s.name);
    // wall_s is cumulative over the run: a stage's seconds are the difference across its lines.
    const before = run.metrics[run.metrics.indexOf(lines[0]) - 1];
    const seconds = typeof done?.seconds === 'number' ? done.seconds : lines.length ? num(lines[lines.length - 1].wall_s) - (before ? num(before.wall_s) : 0) : undefined;
    const tokens = s.tokens.length ? s.tokens[s.tokens.length - 1] : 0;
    return {
      name: s.name,
      kind: s.kind,
      steps: s.loss.length,
      tokens,
      finalLoss: s.loss.length ? s.loss[s.loss.length - 1] : undefined,
      seconds,
      tokensPerS: seconds && seconds > 0 ? tokens / seconds : undefined,
    };
  });
}

function num(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : NaN;
}
