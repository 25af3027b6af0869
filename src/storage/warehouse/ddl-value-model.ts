/** Warehouse tables and columns for the customer-value model (BG/NBD + Gamma-Gamma, features.md B4). */
export const VALUE_MODEL_DDL: readonly string[] = [];
