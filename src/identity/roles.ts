/**
 * The roles of the CloudHSM user model. 'unactivated-admin' is the first admin between cluster
 * init and `cluster activate`; it cannot log in. 'appliance' is a node talking to a node.
 * 'public' is no user: the caller of a PKCS#11 session without a login, which may only read the
 * public objects, and only while the cluster policy lists them (src/pkcs11/public-session.ts).
 */
export const ROLES = ['admin', 'crypto-user', 'appliance', 'unactivated-admin', 'public'] as const;
export type Role = (typeof ROLES)[number];

/** Roles an admin may give a new user. */
export const CREATABLE_ROLES = ['admin', 'crypto-user'] as const satisfies readonly Role[];
export type CreatableRole = (typeof CREATABLE_ROLES)[number];
