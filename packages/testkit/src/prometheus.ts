/** One series of an instant query's answer: its labels and value. */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

/** An instant PromQL query against a Prometheus at `baseUrl`; a refused query throws its error. */
export async function promQuery(baseUrl: string, promql: string): Promise<PromSample[]> {
  const response = await fetch(`${baseUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`prometheus refused ${promql}: ${body.error}`);
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}
