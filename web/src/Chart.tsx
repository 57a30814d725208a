import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  /** One value per x; null where there is nothing to plot. */
  values: (number | null)[];
  /** A CSS variable of the theme (e.g. "--accent"), so the chart follows light and dark. */
  color: string;
  bars?: boolean;
}

const themed = (variable: string) =>
  getComputedStyle(document.documentElement).getPropertyValue(variable).trim();

/**
 * A time chart (uPlot on a canvas) as wide as its container; `label` names it for screen readers,
 * which read the figures printed beside it.
 */
export function Chart({
  label,
  x,
  series,
  unit,
}: {
  label: string;
  /** Unix seconds. */
  x: number[];
  series: ChartSeries[];
  unit: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = {
      stroke: themed("--muted"),
      grid: { stroke: themed("--line") },
      ticks: { stroke: themed("--line") },
    };
    const plot = new uPlot(
      {
        width: el.clientWidth,
        height: 180,
        legend: { show: true },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [axis, { ...axis, label: unit, size: 60 }],
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: themed(s.color),
            fill: s.bars ? themed(s.color) : undefined,
            width: s.bars ? 0 : 2,
            spanGaps: false,
            paths: s.bars ? uPlot.paths.bars?.({ size: [0.7, 40] }) : undefined,
            points: { show: !s.bars },
          })),
        ],
      },
      [x, ...series.map((s) => s.values)],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 180 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, series, unit]);
  return <div ref={box} className="chart" role="img" aria-label={label} />;
}
