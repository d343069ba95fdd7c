package io.wssink.testing;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;

/** A CA and server certificates made at test time. */
public final class TestCertificates {
    public final KeyPair caKeys;
    public final X509Certificate ca;

    public TestCertificates() throws Exception {
        caKeys = keys();
        ca = sign(new X500Name("CN=wssink test CA"), caKeys, caKeys, new X500Name("CN=wssink test CA"), true);
    }

    /** A server certificate signed by the CA, valid for {@code names} (DNS names, or IP addresses). */
    public Server server(String... names) throws Exception {
        KeyPair keys = keys();
        GeneralName[] sans = new GeneralName[names.length];
        for (int i = 0; i < names.length; i++) {
            sans[i] = new GeneralName(names[i].matches("[0-9.]+") ? GeneralName.iPAddress : GeneralName.dNSName, names[i]);
        }
        X509v3CertificateBuilder b = builder(new X500Name("CN=wssink test CA"), new X500Name("CN=" + names[0]), keys);
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withRSA").build(caKeys.getPrivate())));
        return new Server(keys, cert);
    }

    /** A client certificate signed by the CA, for mutual TLS. */
    public Server client(String commonName) throws Exception {
        KeyPair keys = keys();
        X509v3CertificateBuilder b = builder(new X500Name("CN=wssink test CA"), new X500Name("CN=" + commonName), keys);
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withRSA").build(caKeys.getPrivate())));
        return new Server(keys, cert);
    }

    /** Writes a certificate as PEM and its key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"), as openssl does. */
    public static void writePem(Server who, Path certFile, Path keyFile) throws Exception {
        try (Writer w = Files.newBufferedWriter(certFile); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(who.cert());
        }
        try (Writer w = Files.newBufferedWriter(keyFile); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(new JcaPKCS8Generator(who.keys().getPrivate(), null));
        }
    }

    /** Writes the CA certificate as PEM, for the sink's trust. */
    public Path writeCa(Path file) throws Exception {
        try (Writer w = Files.newBufferedWriter(file); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(ca);
        }
        return file;
    }

    public record Server(KeyPair keys, X509Certificate cert) {
    }

    private static KeyPair keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static X509Certificate sign(X500Name issuer, KeyPair issuerKeys, KeyPair subjectKeys, X500Name subject,
                                        boolean ca) throws Exception {
        X509v3CertificateBuilder b = builder(issuer, subject, subjectKeys);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate())));
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(1, ChronoUnit.DAYS)), Date.from(now.plus(1, ChronoUnit.DAYS)), subject,
                keys.getPublic());
    }
}
