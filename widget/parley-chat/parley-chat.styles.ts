import { css } from 'lit';
import { base, tokens } from '../shared/styles.ts';

export const parleyChatStyles = [
  tokens,
  base,
  css`
    /* a host page rule like * { font-family: serif } targets this element itself and beats :host, so the
       inherited properties are pinned with !important; everything inside inherits them */
    :host {
      all: initial;
      display: block;
      box-sizing: border-box !important;
      block-size: 100%;
      min-block-size: 360px;
      font-family: var(--parley-font-family) !important;
      font-size: var(--parley-font-size) !important;
      line-height: var(--parley-line-height) !important;
      letter-spacing: normal !important;
      word-spacing: normal !important;
      text-transform: none !important;
      font-style: normal !important;
      font-weight: normal !important;
      color: var(--parley-color-text) !important;
      text-align: start !important;
      -webkit-font-smoothing: antialiased;
    }
    :host([hidden]) {
      display: none;
    }
    :host([mode='launcher']) {
      block-size: 0;
      min-block-size: 0;
    }
    .panel {
      display: flex;
      flex-direction: column;
      block-size: 100%;
      min-block-size: 0;
      overflow: hidden;
      background: var(--parley-color-bg);
      color: var(--parley-color-text);
      border: 1px solid var(--parley-color-border);
      border-radius: var(--parley-radius);
    }
    .panel.floating {
      position: fixed;
      z-index: var(--parley-z-index);
      inset-block-end: calc(var(--parley-launcher-size) + var(--parley-space) * 5);
      inset-inline-end: calc(var(--parley-space) * 3);
      inline-size: min(var(--parley-panel-width), calc(100vw - var(--parley-space) * 6));
      block-size: var(--parley-panel-height);
      box-shadow: var(--parley-shadow);
    }
    .launcher {
      position: fixed;
      z-index: var(--parley-z-index);
      inset-block-end: calc(var(--parley-space) * 3);
      inset-inline-end: calc(var(--parley-space) * 3);
      display: grid;
      place-items: center;
      inline-size: var(--parley-launcher-size);
      block-size: var(--parley-launcher-size);
      padding: 0;
      border: 0;
      border-radius: 50%;
      background: var(--parley-color-accent);
      color: var(--parley-on-accent-derived, var(--parley-color-on-accent));
      box-shadow: var(--parley-shadow);
    }
    .launcher .icon {
      inline-size: 26px;
      block-size: 26px;
    }
    @media (max-width: 640px) {
      .panel.floating {
        inset: 0;
        inline-size: 100%;
        block-size: 100%;
        block-size: 100dvh;
        border: 0;
        border-radius: 0;
      }
    }
    .header {
      display: flex;
      align-items: center;
      gap: calc(var(--parley-space) / 2);
      padding-block: var(--parley-space);
      padding-inline: calc(var(--parley-space) * 1.5) var(--parley-space);
      border-block-end: 1px solid var(--parley-color-border);
      background: var(--parley-color-bg);
    }
    h2 {
      flex: 1;
      min-inline-size: 0;
      margin: 0;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
      font-size: 1.05em;
      font-weight: 600;
    }
    .header .btn[aria-pressed='true'] {
      background: var(--parley-color-surface);
      color: var(--parley-accent-text-derived, var(--parley-color-accent));
    }
    .status {
      display: flex;
      align-items: center;
      gap: var(--parley-space);
      padding-block: calc(var(--parley-space) / 2);
      padding-inline: calc(var(--parley-space) * 1.5);
      background: var(--parley-color-warning-bg);
      font-size: 0.9em;
    }
    .status:empty {
      display: none;
    }
    .banner {
      display: flex;
      align-items: center;
      justify-content: space-between;
      gap: var(--parley-space);
      margin: 0;
      padding-block: calc(var(--parley-space) / 2);
      padding-inline: calc(var(--parley-space) * 1.5) var(--parley-space);
      color: var(--parley-color-danger);
      background: var(--parley-color-surface);
      border-block-end: 1px solid var(--parley-color-border);
    }
    .body {
      flex: 1;
      display: flex;
      flex-direction: column;
      min-block-size: 0;
    }
    parley-message-list,
    parley-conversation-list,
    parley-upload-panel {
      flex: 1;
      min-block-size: 0;
    }
  `,
];
