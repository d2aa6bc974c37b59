/**
 * `AppStorage` (ArkUI state management): an application-wide key-value store. Installed as a global by
 * `@colink/api-compat/register`, as ArkTS code expects it.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: ArkUI's AppStorage is a class with static members
export class AppStorage {
  private static readonly store = new Map<string, unknown>();

  static setOrCreate<T>(key: string, value: T): void {
    AppStorage.store.set(key, value);
  }
  static set<T>(key: string, value: T): boolean {
    if (!AppStorage.store.has(key)) return false;
    AppStorage.store.set(key, value);
    return true;
  }
  static get<T>(key: string): T | undefined {
    return AppStorage.store.get(key) as T | undefined;
  }
  static has(key: string): boolean {
    return AppStorage.store.has(key);
  }
  static delete(key: string): boolean {
    return AppStorage.store.delete(key);
  }
  static keys(): IterableIterator<string> {
    return AppStorage.store.keys();
  }
  static size(): number {
    return AppStorage.store.size;
  }
  static clear(): boolean {
    AppStorage.store.clear();
    return true;
  }
}
