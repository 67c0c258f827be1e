// The smallest part of the `reflect-metadata` API that @peculiar/x509's dependency tsyringe checks
// for and uses at load time (getMetadata, getOwnMetadata, defineMetadata). Imported before
// @peculiar/x509 so that generating certificates needs no extra package; it leaves a real
// reflect-metadata alone when one is already loaded.
type Target = object;
type MetadataMap = Map<unknown, unknown>;

const store = new WeakMap<Target, Map<PropertyKey | undefined, MetadataMap>>();

function ownMap(target: Target, propertyKey: PropertyKey | undefined, create: boolean): MetadataMap | undefined {
  let byProperty = store.get(target);
  if (byProperty === undefined) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let map = byProperty.get(propertyKey);
  if (map === undefined && create) {
    map = new Map();
    byProperty.set(propertyKey, map);
  }
  return map;
}

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== 'function') {
  reflect.defineMetadata = (key: unknown, value: unknown, target: Target, propertyKey?: PropertyKey) => {
    ownMap(target, propertyKey, true)!.set(key, value);
  };
  reflect.getOwnMetadata = (key: unknown, target: Target, propertyKey?: PropertyKey) => ownMap(target, propertyKey, false)?.get(key);
  reflect.hasOwnMetadata = (key: unknown, target: Target, propertyKey?: PropertyKey) => ownMap(target, propertyKey, false)?.has(key) ?? false;
  reflect.getMetadata = (key: unknown, target: Target, propertyKey?: PropertyKey) => {
    for (let node: Target | null = target; node !== null; node = Object.getPrototypeOf(node) as Target | null) {
      const map = ownMap(node, propertyKey, false);
      if (map?.has(key) === true) return map.get(key);
    }
    return undefined;
  };
  reflect.metadata = (key: unknown, value: unknown) => (target: Target, propertyKey?: PropertyKey) => {
    ownMap(target, propertyKey, true)!.set(key, value);
  };
}

export {};
