/** The YAML of deploy/, read as the tests need it. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Every document of a YAML file; a syntax error names the file. */
export function readYamlDocuments(file: string): Array<Record<string, unknown>> {
  return parseAllDocuments(readFileSync(file, 'utf8')).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]?.message}`);
    const object = document.toJS() as Record<string, unknown> | null;
    return object ? [object] : [];
  });
}

/** What `kubectl apply -f deploy/` applies: the objects of deploy/*.yaml, files in name order. */
export function deployManifests(): Array<Record<string, unknown>> {
  return readdirSync('deploy')
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) => readYamlDocuments(join('deploy', file)));
}

/** deploy/monitoring/prometheus-rules.yaml: the PrometheusRule. */
export function prometheusRule(): Record<string, unknown> {
  const [rule] = readYamlDocuments('deploy/monitoring/prometheus-rules.yaml');
  if (!rule) throw new Error('deploy/monitoring/prometheus-rules.yaml holds no object');
  return rule;
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ expr: string }>;
}

export interface GrafanaDashboard {
  uid: string;
  templating: { list: Array<{ name: string; type: string }> };
  panels: DashboardPanel[];
}

/** deploy/monitoring/grafana-dashboard.yaml: the ConfigMap, and the dashboard JSON it carries. */
export function grafanaDashboard(): { configMap: Record<string, unknown>; dashboard: GrafanaDashboard } {
  const [configMap] = readYamlDocuments('deploy/monitoring/grafana-dashboard.yaml');
  const json = (configMap?.data as Record<string, string> | undefined)?.['statsmoln-operator.json'];
  if (!configMap || json === undefined) throw new Error('deploy/monitoring/grafana-dashboard.yaml: no data["statsmoln-operator.json"]');
  return { configMap, dashboard: JSON.parse(json) as GrafanaDashboard };
}

/** Every PromQL query of the dashboard's panels. */
export function dashboardQueries(dashboard: GrafanaDashboard): string[] {
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
}
