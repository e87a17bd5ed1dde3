// Inline SVG icons (stroke icons on a 24-unit grid); always aria-hidden, the control carries the label.
import { svg, type TemplateResult } from 'lit';

const icon = (body: TemplateResult<2>) =>
  svg`<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">${body}</svg>`;

export const icons = {
  send: icon(svg`<path d="M22 2 11 13"/><path d="M22 2 15 22l-4-9-9-4z"/>`),
  stop: icon(svg`<rect x="6" y="6" width="12" height="12" rx="2"/>`),
  retry: icon(svg`<path d="M3 12a9 9 0 1 0 3-6.7L3 8"/><path d="M3 3v5h5"/>`),
  copy: icon(
    svg`<rect x="9" y="9" width="12" height="12" rx="2"/><path d="M5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1"/>`,
  ),
  check: icon(svg`<path d="M20 6 9 17l-5-5"/>`),
  thumbUp: icon(
    svg`<path d="M7 10v12"/><path d="M15 5.9 14 10h5.8a2 2 0 0 1 2 2.3l-1.4 8A2 2 0 0 1 18.4 22H4a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2h2.8a2 2 0 0 0 1.8-1.1L12 2a3.1 3.1 0 0 1 3 3.9z"/>`,
  ),
  thumbDown: icon(
    svg`<path d="M17 14V2"/><path d="M9 18.1 10 14H4.2a2 2 0 0 1-2-2.3l1.4-8A2 2 0 0 1 5.6 2H20a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-2.8a2 2 0 0 0-1.8 1.1L12 22a3.1 3.1 0 0 1-3-3.9z"/>`,
  ),
  chat: icon(svg`<path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/>`),
  close: icon(svg`<path d="M18 6 6 18"/><path d="m6 6 12 12"/>`),
  plus: icon(svg`<path d="M12 5v14"/><path d="M5 12h14"/>`),
  list: icon(
    svg`<path d="M8 6h13"/><path d="M8 12h13"/><path d="M8 18h13"/><path d="M3 6h.01"/><path d="M3 12h.01"/><path d="M3 18h.01"/>`,
  ),
  upload: icon(
    svg`<path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4"/><path d="m17 8-5-5-5 5"/><path d="M12 3v12"/>`,
  ),
  download: icon(
    svg`<path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4"/><path d="m7 10 5 5 5-5"/><path d="M12 15V3"/>`,
  ),
  trash: icon(
    svg`<path d="M3 6h18"/><path d="M19 6v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V6"/><path d="M8 6V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2"/>`,
  ),
  chevronStart: icon(svg`<path d="m15 18-6-6 6-6"/>`),
  chevronEnd: icon(svg`<path d="m9 18 6-6-6-6"/>`),
  sortAsc: icon(svg`<path d="m18 15-6-6-6 6"/>`),
  sortDesc: icon(svg`<path d="m6 9 6 6 6-6"/>`),
  sortNone: icon(svg`<path d="m7 15 5 5 5-5"/><path d="m7 9 5-5 5 5"/>`),
  offline: icon(
    svg`<path d="M2 2l20 20"/><path d="M8.5 16.5a5 5 0 0 1 7 0"/><path d="M2 8.8a15 15 0 0 1 4.2-2.7"/><path d="M10.7 5.1A15 15 0 0 1 22 8.8"/><path d="M5 12.9a10 10 0 0 1 5.2-2.7"/><path d="M16.8 11.1a10 10 0 0 1 2.2 1.8"/><path d="M12 20h.01"/>`,
  ),
} as const;
