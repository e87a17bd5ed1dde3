// Registers a custom element once: loading the widget script twice (or two bundles) must not throw.

export function defineElement(name: string, ctor: CustomElementConstructor): void {
  if (typeof customElements === 'undefined') return;
  if (customElements.get(name)) return;
  customElements.define(name, ctor);
}
