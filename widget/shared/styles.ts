// Styles shared by the widget's elements. Every themable value is a `--parley-*` custom property; <parley-chat>
// sets the defaults on its host (light and dark), and custom properties inherit into every nested shadow root.
import { css, unsafeCSS } from 'lit';

/** The dark palette, applied by the theme attribute or by the system setting. */
const darkTokens = unsafeCSS(`
color-scheme: dark;
--parley-color-bg: #15181d;
--parley-color-surface: #1f242b;
--parley-color-text: #e6e8eb;
--parley-color-muted: #a4adb8;
--parley-color-border: #3a424d;
--parley-color-accent: #78b6ff;
--parley-color-on-accent: #0b1a2b;
--parley-color-user-bg: #22344d;
--parley-color-user-text: #e6e8eb;
--parley-color-danger: #ff8b80;
--parley-color-success: #6fdc8c;
--parley-color-warning-bg: #3d3217;
--parley-color-focus: #78b6ff;
--parley-color-code-bg: #252b33;
--parley-shadow: 0 8px 28px rgba(0, 0, 0, 0.5);
`);

/** The design tokens with their light defaults, plus the dark set. Used by <parley-chat> only. */
export const tokens = css`
  :host {
    --parley-font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
    --parley-font-family-mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    --parley-font-size: 14px;
    --parley-line-height: 1.5;
    --parley-space: 8px;
    --parley-radius: 12px;
    --parley-radius-small: 6px;
    --parley-color-bg: #ffffff;
    --parley-color-surface: #f5f6f8;
    --parley-color-text: #1f2328;
    --parley-color-muted: #57606a;
    --parley-color-border: #d0d7de;
    --parley-color-accent: #0a5bb5;
    --parley-color-on-accent: #ffffff;
    --parley-color-user-bg: #e7f0fb;
    --parley-color-user-text: #1f2328;
    --parley-color-danger: #b42318;
    --parley-color-success: #1a7f37;
    --parley-color-warning-bg: #fff4d6;
    --parley-color-focus: #0a5bb5;
    --parley-color-code-bg: #f0f2f5;
    --parley-shadow: 0 8px 28px rgba(0, 0, 0, 0.18);
    --parley-panel-width: 420px;
    --parley-panel-height: min(680px, calc(100vh - 120px));
    --parley-launcher-size: 56px;
    --parley-z-index: 2147483000;
    color-scheme: light;
  }
  :host([theme='dark']) {
    ${darkTokens}
  }
  @media (prefers-color-scheme: dark) {
    :host(:not([theme='light'])) {
      ${darkTokens}
    }
  }
`;

/** Controls, focus and helpers every element uses. */
export const base = css`
  :host {
    box-sizing: border-box;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  [hidden] {
    display: none !important;
  }
  button,
  input,
  textarea,
  select {
    font: inherit;
    color: inherit;
  }
  button {
    cursor: pointer;
  }
  button:disabled {
    cursor: not-allowed;
    opacity: 0.6;
  }
  :focus-visible {
    outline: 2px solid var(--parley-focus-derived, var(--parley-color-focus));
    outline-offset: 2px;
  }
  .btn {
    display: inline-flex;
    align-items: center;
    gap: calc(var(--parley-space) / 2);
    min-block-size: 32px;
    padding-block: calc(var(--parley-space) / 2);
    padding-inline: var(--parley-space);
    border: 1px solid var(--parley-color-border);
    border-radius: var(--parley-radius-small);
    background: var(--parley-color-bg);
    color: var(--parley-color-text);
    line-height: 1.2;
  }
  .btn:hover:not(:disabled) {
    background: var(--parley-color-surface);
  }
  .btn.primary {
    background: var(--parley-color-accent);
    border-color: var(--parley-color-accent);
    color: var(--parley-on-accent-derived, var(--parley-color-on-accent));
  }
  .btn.primary:hover:not(:disabled) {
    background: var(--parley-color-accent);
    filter: brightness(1.08);
  }
  .btn.ghost {
    border-color: transparent;
    background: transparent;
  }
  .btn.ghost:hover:not(:disabled) {
    background: var(--parley-color-surface);
  }
  .btn.danger {
    color: var(--parley-color-danger);
  }
  .icon {
    inline-size: 16px;
    block-size: 16px;
    flex: none;
    fill: none;
    stroke: currentColor;
    stroke-width: 2;
    stroke-linecap: round;
    stroke-linejoin: round;
  }
  .sr-only {
    position: absolute !important;
    inline-size: 1px;
    block-size: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  .muted {
    color: var(--parley-color-muted);
  }
  .error-text {
    color: var(--parley-color-danger);
  }
`;
