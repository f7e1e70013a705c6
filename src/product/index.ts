/**
 * The product model every command shares: find product folders, load and validate them (every
 * problem at once, SLA properties included), compile them to frozen descriptors, and select the
 * ones that run.
 */
export { DEFAULT_PRODUCTS_DIR, DESCRIPTOR_FILE, findProductDirs, PRODUCT_TYPES_FILE } from './discover.js';
export {
  combineDescriptorErrors,
  displayPath,
  loadProduct,
  loadProducts,
  validateProduct,
  type LoadedProduct,
  type ProductLoadOptions,
  type ProductValidation,
} from './load.js';
export { selectRunnable } from './select.js';
export { checkMajorsApart } from './majors.js';
export { loadTransform } from './transform-loader.js';
export type * from './types.js';
