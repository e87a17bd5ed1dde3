// Which conversation was open, kept in the page's session storage per server, agent and user, so a reload opens it
// again. Only an id is stored; the conversation itself is fetched from the server, which checks it is still this
// user's (a stale or foreign id gets a 404 and is forgotten).

const PREFIX = 'parley:open-conversation:';

export function conversationKey(server: string, agent: string, userIdentifier: string): string {
  return `${PREFIX}${JSON.stringify([server, agent, userIdentifier])}`;
}

function storage(): Storage | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    // storage blocked (sandboxed iframe, privacy settings): nothing is remembered
    return undefined;
  }
}

export function rememberedConversation(key: string): string | null {
  try {
    const id = storage()?.getItem(key) ?? null;
    return id && /^[A-Za-z0-9_-]{1,128}$/.test(id) ? id : null;
  } catch {
    return null;
  }
}

export function rememberConversation(key: string, id: string | null): void {
  try {
    if (id) storage()?.setItem(key, id);
    else storage()?.removeItem(key);
  } catch {
    // quota or blocked storage: a reload simply starts fresh
  }
}
