import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;

/**
 * Java's own PKCS#11 provider (SunPKCS11) against a PKCS#11 module, with nothing but the JDK:
 * key store, key generation, signatures, ciphers, and a certificate stored beside its private
 * key. Usage: java CofferJce <SunPKCS11 config file> <PIN> [<check>…]: with checks named, only
 * those run, after what they need (which prints only when it fails). Prints `ok <check>` or
 * `not ok <check>: <reason>` per check and exits 1 when any check failed.
 */
public final class CofferJce {
  private static int failures = 0;

  interface Check {
    void run() throws Exception;
  }

  /** The checks asked for on the command line; all when empty. */
  private static java.util.Set<String> only = java.util.Set.of();

  /** What a check needs made first (provider and keystore-load always run). */
  private static final java.util.Map<String, java.util.List<String>> NEEDS =
      java.util.Map.of(
          "rsa-sign", java.util.List.of("rsa-keygen"),
          "ec-sign", java.util.List.of("ec-keygen"),
          "aes-gcm", java.util.List.of("aes-keygen"),
          "aes-cbc", java.util.List.of("aes-keygen"),
          "keystore-store-certificate", java.util.List.of("rsa-keygen"),
          "keystore-reload", java.util.List.of("rsa-keygen", "keystore-store-certificate"));

  private static boolean needed(String name) {
    if (only.isEmpty() || only.contains(name) || name.equals("provider") || name.equals("keystore-load")) return true;
    return only.stream().anyMatch(asked -> NEEDS.getOrDefault(asked, java.util.List.of()).contains(name));
  }

  private static void check(String name, Check body) {
    if (!needed(name)) return;
    boolean shown = only.isEmpty() || only.contains(name);
    try {
      body.run();
      if (shown) System.out.println("ok " + name);
    } catch (Throwable error) {
      failures++;
      String reason = String.valueOf(error);
      for (Throwable cause = error.getCause(); cause != null; cause = cause.getCause()) {
        reason += " <- " + cause + pkcs11Call(cause);
      }
      if (error.getCause() == null) reason += pkcs11Call(error);
      // A check not asked for fails the run too: what was asked for depends on it.
      System.out.println("not ok " + name + ": " + reason.replace('\n', ' '));
    }
    System.out.flush();
  }

  /** The C_ function a PKCS11Exception came from (its native frame), as " in C_…", or "". */
  private static String pkcs11Call(Throwable error) {
    for (StackTraceElement frame : error.getStackTrace()) {
      if (frame.getClassName().equals("sun.security.pkcs11.wrapper.PKCS11") && frame.getMethodName().startsWith("C_")) {
        return " in " + frame.getMethodName();
      }
    }
    return "";
  }

  private static void require(boolean condition, String what) {
    if (!condition) throw new IllegalStateException(what);
  }

  private static final byte[] DATA = "a message signed inside the HSM".getBytes(StandardCharsets.UTF_8);

  private static Provider provider;
  private static KeyStore store;
  private static KeyPair rsa;
  private static KeyPair ec;
  private static SecretKey aes;

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: java CofferJce <SunPKCS11 config file> <PIN> [<check>...]");
      System.exit(2);
    }
    char[] pin = args[1].toCharArray();
    only = java.util.Set.of(java.util.Arrays.copyOfRange(args, 2, args.length));
    check("provider", () -> {
      provider = Security.getProvider("SunPKCS11").configure(args[0]);
      Security.addProvider(provider);
    });
    if (provider == null) System.exit(1);
    check("keystore-load", () -> {
      store = KeyStore.getInstance("PKCS11", provider);
      store.load(null, pin);
    });
    check("rsa-keygen", () -> {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA", provider);
      generator.initialize(2048);
      rsa = generator.generateKeyPair();
    });
    check("rsa-sign", () -> signAndVerify("SHA256withRSA", "RSA", rsa));
    check("ec-keygen", () -> {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", provider);
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      ec = generator.generateKeyPair();
    });
    check("ec-sign", () -> signAndVerify("SHA256withECDSA", "EC", ec));
    check("aes-keygen", () -> {
      KeyGenerator generator = KeyGenerator.getInstance("AES", provider);
      generator.init(256);
      aes = generator.generateKey();
    });
    check("aes-gcm", CofferJce::gcmRoundTrip);
    check("aes-cbc", CofferJce::cbcRoundTrip);
    check("keystore-store-certificate", CofferJce::storeAndReload);
    check("keystore-reload", () -> reload(pin));
    System.exit(failures == 0 ? 0 : 1);
  }

  /** Signs in the HSM; verifies in the HSM and, from the exported public key, in software. */
  private static void signAndVerify(String algorithm, String keyAlgorithm, KeyPair pair) throws Exception {
    require(pair != null, "no key pair: its keygen check failed");
    Signature signer = Signature.getInstance(algorithm, provider);
    signer.initSign(pair.getPrivate());
    signer.update(DATA);
    byte[] signature = signer.sign();
    Signature inside = Signature.getInstance(algorithm, provider);
    inside.initVerify(pair.getPublic());
    inside.update(DATA);
    require(inside.verify(signature), "the provider does not verify its own signature");
    PublicKey exported =
        KeyFactory.getInstance(keyAlgorithm).generatePublic(new X509EncodedKeySpec(pair.getPublic().getEncoded()));
    Signature software = Signature.getInstance(algorithm);
    require(!software.getProvider().getName().equals(provider.getName()), "software verifier expected");
    software.initVerify(exported);
    software.update(DATA);
    require(software.verify(signature), "the JDK's own provider rejects the signature");
    software.initVerify(exported);
    software.update("another message".getBytes(StandardCharsets.UTF_8));
    require(!software.verify(signature), "a signature over other data verifies");
  }

  /**
   * AES-GCM: the application makes a 96-bit IV (SunPKCS11's own default is 128 bits, which
   * SP 800-38D does not recommend); the AAD is bound; a changed tag is refused.
   */
  private static void gcmRoundTrip() throws Exception {
    require(aes != null, "no AES key: aes-keygen failed");
    byte[] plaintext = new byte[1000];
    new SecureRandom().nextBytes(plaintext);
    byte[] aad = "header".getBytes(StandardCharsets.UTF_8);
    byte[] iv = new byte[12];
    new SecureRandom().nextBytes(iv);
    Cipher encrypt = Cipher.getInstance("AES/GCM/NoPadding", provider);
    encrypt.init(Cipher.ENCRYPT_MODE, aes, new GCMParameterSpec(128, iv));
    encrypt.updateAAD(aad);
    byte[] ciphertext = encrypt.doFinal(plaintext);
    require(ciphertext.length == plaintext.length + 16, "ciphertext with a 16-byte tag");
    Cipher decrypt = Cipher.getInstance("AES/GCM/NoPadding", provider);
    decrypt.init(Cipher.DECRYPT_MODE, aes, new GCMParameterSpec(128, iv));
    decrypt.updateAAD(aad);
    require(Arrays.equals(decrypt.doFinal(ciphertext), plaintext), "decrypts to the plaintext");
    byte[] tampered = ciphertext.clone();
    tampered[tampered.length - 1] ^= 1;
    Cipher refuse = Cipher.getInstance("AES/GCM/NoPadding", provider);
    refuse.init(Cipher.DECRYPT_MODE, aes, new GCMParameterSpec(128, iv));
    refuse.updateAAD(aad);
    boolean refused = false;
    try {
      refuse.doFinal(tampered);
    } catch (javax.crypto.AEADBadTagException expected) {
      refused = true;
    }
    require(refused, "a changed tag is refused with AEADBadTagException");
  }

  private static void cbcRoundTrip() throws Exception {
    require(aes != null, "no AES key: aes-keygen failed");
    byte[] plaintext = "thirty-three bytes of plain text!".getBytes(StandardCharsets.UTF_8);
    byte[] iv = new byte[16];
    new SecureRandom().nextBytes(iv);
    Cipher encrypt = Cipher.getInstance("AES/CBC/PKCS5Padding", provider);
    encrypt.init(Cipher.ENCRYPT_MODE, aes, new IvParameterSpec(iv));
    byte[] ciphertext = encrypt.doFinal(plaintext);
    require(ciphertext.length == 48, "padded to three blocks");
    Cipher decrypt = Cipher.getInstance("AES/CBC/PKCS5Padding", provider);
    decrypt.init(Cipher.DECRYPT_MODE, aes, new IvParameterSpec(iv));
    require(Arrays.equals(decrypt.doFinal(ciphertext), plaintext), "decrypts to the plaintext");
  }

  private static X509Certificate certificate;

  /** A self-signed certificate for the RSA key, signed in the HSM, stored beside the key. */
  private static void storeAndReload() throws Exception {
    require(store != null && rsa != null, "no key store or RSA key pair: an earlier check failed");
    certificate = SelfSigned.make("CN=Coffer JCE test", rsa, provider);
    certificate.verify(rsa.getPublic(), "SunRsaSign");
    store.setKeyEntry("coffer-jce", rsa.getPrivate(), null, new Certificate[] {certificate});
  }

  /** A fresh load of the key store finds the entry; its key still signs for the certificate. */
  private static void reload(char[] pin) throws Exception {
    require(certificate != null, "nothing stored: keystore-store-certificate failed");
    KeyStore fresh = KeyStore.getInstance("PKCS11", provider);
    fresh.load(null, pin);
    require(fresh.isKeyEntry("coffer-jce"), "a key entry named coffer-jce; aliases: " + java.util.Collections.list(fresh.aliases()));
    Certificate stored = fresh.getCertificate("coffer-jce");
    require(stored != null && Arrays.equals(stored.getEncoded(), certificate.getEncoded()), "the same certificate");
    Key key = fresh.getKey("coffer-jce", null);
    require(key instanceof PrivateKey, "a private key");
    Signature signer = Signature.getInstance("SHA256withRSA", provider);
    signer.initSign((PrivateKey) key);
    signer.update(DATA);
    Signature software = Signature.getInstance("SHA256withRSA", "SunRsaSign");
    software.initVerify(stored.getPublicKey());
    software.update(DATA);
    require(software.verify(signer.sign()), "the stored key signs for the stored certificate");
  }

  /** The smallest X.509 v3 certificate the JDK parses, DER-encoded by hand (the JDK has no public builder). */
  static final class SelfSigned {
    private static final byte[] SHA256_WITH_RSA = {0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x0b};
    private static final byte[] COMMON_NAME = {0x55, 0x04, 0x03};
    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'");

    static X509Certificate make(String subject, KeyPair pair, Provider signerProvider) throws Exception {
      String cn = subject.substring("CN=".length());
      byte[] algorithm = der(0x30, der(0x06, SHA256_WITH_RSA), der(0x05));
      byte[] name = der(0x30, der(0x31, der(0x30, der(0x06, COMMON_NAME), der(0x0c, cn.getBytes(StandardCharsets.UTF_8)))));
      ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC).withNano(0);
      byte[] validity = der(0x30, time(now.minusMinutes(5)), time(now.plusDays(1)));
      byte[] serial = der(0x02, new BigInteger(63, new SecureRandom()).add(BigInteger.ONE).toByteArray());
      byte[] tbs = der(0x30, der(0xa0, der(0x02, new byte[] {2})), serial, algorithm, name, validity, name, pair.getPublic().getEncoded());
      Signature signer = Signature.getInstance("SHA256withRSA", signerProvider);
      signer.initSign(pair.getPrivate());
      signer.update(tbs);
      byte[] signature = signer.sign();
      byte[] bits = new byte[signature.length + 1];
      System.arraycopy(signature, 0, bits, 1, signature.length);
      byte[] encoded = der(0x30, tbs, algorithm, der(0x03, bits));
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(encoded));
    }

    private static byte[] time(ZonedDateTime at) {
      return der(0x17, at.format(UTC_TIME).getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] der(int tag, byte[]... parts) {
      ByteArrayOutputStream content = new ByteArrayOutputStream();
      for (byte[] part : parts) content.writeBytes(part);
      int length = content.size();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(tag);
      if (length < 0x80) {
        out.write(length);
      } else {
        byte[] bytes = BigInteger.valueOf(length).toByteArray();
        int skip = bytes[0] == 0 ? 1 : 0;
        out.write(0x80 | (bytes.length - skip));
        out.write(bytes, skip, bytes.length - skip);
      }
      out.writeBytes(content.toByteArray());
      return out.toByteArray();
    }
  }
}
