// Harness (not a seed block): device B's page takes the session id its ability stored in AppStorage (the seed's
// `AppStorage.setOrCreate('sessionId', sessionId)`), so the page's `this.sessionId` snippets act on that session.
const page = (globalThis as unknown as { __seedPage: { sessionId: number } }).__seedPage;
page.sessionId = AppStorage.get<number>('sessionId') ?? -1;
process.stdout.write(`${JSON.stringify({ ev: 'page', sessionId: page.sessionId })}\n`);
