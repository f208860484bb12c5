// Kubernetes resource quantities ("250m", "32", "128Gi", "1e3", "500M") as plain numbers.
// (@kubernetes/client-node has quantityToScalar but does not export it.)
const SUFFIX: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const match = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(quantity.trim());
  const factor = match ? SUFFIX[match[2]!] : undefined;
  if (!match || factor === undefined) throw new Error(`not a Kubernetes quantity: "${quantity}"`);
  return Number(match[1]) * factor;
}
