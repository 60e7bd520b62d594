// The report's inline stylesheet: system fonts only (nothing to fetch), colour-blind-safe blue/red.
export const REPORT_CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2328; margin: 24px auto; max-width: 1140px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 6px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 16px 0 6px; } .hint, .generated { color: #57606a; font-weight: normal; font-size: 13px; }
.description { margin: 4px 0 10px; color: #333; }
figure.timeline { margin: 8px 0; } figcaption { color: #57606a; font-size: 12px; }
svg.timeline { max-width: 100%; height: auto; font-family: inherit; font-size: 12px; }
svg .band-bg { fill: #f6f8fa; stroke: #d0d7de; stroke-width: 0.5; }
svg .delivered, svg .sw-delivered { fill: #4c78a8; }
svg .lost, svg .sw-lost { fill: #e45756; }
svg rect.failure, svg .sw-failure { fill: #f2b134; fill-opacity: 0.3; }
svg rect.failure-edge, svg .sw-failure { stroke: #c98a00; stroke-dasharray: 3 2; stroke-width: 1; } svg rect.failure-edge { fill: none; }
svg .strip-loss { fill: #f4a6a6; } svg .strip-out { fill: #b2182b; }
svg .mode { text-anchor: end; font-weight: 600; font-size: 13px; }
svg .scale { text-anchor: end; fill: #57606a; font-size: 10px; } svg .ytick { stroke: #57606a; stroke-width: 1; } svg .grid { stroke: #d0d7de; stroke-width: 0.5; stroke-dasharray: 2 3; }
svg .axis line { stroke: #57606a; stroke-width: 1; } svg .tick, svg .axis-title, svg .nodata { text-anchor: middle; fill: #333; }
svg .failure-label { fill: #8a5a00; font-size: 11px; } svg .note { fill: #57606a; font-size: 11px; }
table { border-collapse: collapse; margin: 4px 0 8px; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; } th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } td.na { color: #8c959f; }
nav ol { margin: 6px 0; } .flows-caption { color: #57606a; font-size: 13px; margin: 2px 0; }
`;
