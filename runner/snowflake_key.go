package runner

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"os"
	"strings"
)

// loadPrivateKey reads the RSA key of key-pair authentication from path or
// text (PEM, or base64 DER as dbt-snowflake accepts), decrypting it with
// passphrase when it is encrypted. Errors never quote the key.
func loadPrivateKey(path, text, passphrase string) (*rsa.PrivateKey, error) {
	src := []byte(text)
	where := "private_key"
	if text == "" {
		if path == "" {
			return nil, errors.New("snowflake target: authenticator snowflake_jwt needs private_key_path or private_key")
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("snowflake target: read private_key_path: %w", err)
		}
		src, where = b, "private_key_path "+path
	}
	key, err := parsePrivateKey(src, []byte(passphrase))
	if err != nil {
		return nil, fmt.Errorf("snowflake target: %s: %w", where, err)
	}
	return key, nil
}

func parsePrivateKey(src, passphrase []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(bytes.TrimSpace(src))
	if block == nil {
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(src)), ""))
		if err != nil {
			return nil, errors.New("not a PEM private key nor base64 DER")
		}
		typ := "PRIVATE KEY"
		if len(passphrase) > 0 {
			typ = "ENCRYPTED PRIVATE KEY"
		}
		block = &pem.Block{Type: typ, Bytes: der}
	}
	der := block.Bytes
	switch block.Type {
	case "ENCRYPTED PRIVATE KEY":
		if len(passphrase) == 0 {
			return nil, errors.New("the key is encrypted: set private_key_passphrase")
		}
		var err error
		if der, err = decryptPKCS8(der, passphrase); err != nil {
			return nil, err
		}
	case "RSA PRIVATE KEY", "PRIVATE KEY":
		//lint:ignore SA1019 legacy OpenSSL encryption is still what `openssl genrsa -aes256` writes
		if x509.IsEncryptedPEMBlock(block) { //nolint:staticcheck
			if len(passphrase) == 0 {
				return nil, errors.New("the key is encrypted: set private_key_passphrase")
			}
			var err error
			//lint:ignore SA1019 see above
			if der, err = x509.DecryptPEMBlock(block, passphrase); err != nil { //nolint:staticcheck
				return nil, errors.New("cannot decrypt the key: wrong private_key_passphrase?")
			}
		}
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", block.Type)
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		rsaKey, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("the key is %T; Snowflake key pairs are RSA", k)
		}
		return rsaKey, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("cannot parse the key (want PKCS#8 or PKCS#1 RSA)")
}

// PKCS#8 EncryptedPrivateKeyInfo with PBES2 (PBKDF2 + AES-CBC), what
// `openssl pkcs8 -topk8 -v2 aes256` and `openssl genpkey -aes256` write.
var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type encryptedPrivateKeyInfo struct {
	Algorithm     algorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc algorithmIdentifier
	EncryptionScheme  algorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                 `asn1:"optional"`
	PRF        algorithmIdentifier `asn1:"optional"`
}

func decryptPKCS8(der, passphrase []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, errors.New("cannot parse the encrypted key")
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("encrypted key uses %v; only PBES2 (openssl pkcs8 -v2) is supported", info.Algorithm.Algorithm)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, errors.New("cannot parse the PBES2 parameters")
	}
	if !params.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, errors.New("encrypted key: only PBKDF2 key derivation is supported")
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil {
		return nil, errors.New("cannot parse the PBKDF2 parameters")
	}
	var prf func() hash.Hash
	switch o := kdf.PRF.Algorithm; {
	case len(o) == 0 || o.Equal(oidHMACSHA1):
		prf = sha1.New
	case o.Equal(oidHMACSHA256):
		prf = sha256.New
	case o.Equal(oidHMACSHA384):
		prf = sha512.New384
	case o.Equal(oidHMACSHA512):
		prf = sha512.New
	default:
		return nil, fmt.Errorf("encrypted key: unsupported PBKDF2 PRF %v", o)
	}
	var keyLen int
	switch o := params.EncryptionScheme.Algorithm; {
	case o.Equal(oidAES128CBC):
		keyLen = 16
	case o.Equal(oidAES192CBC):
		keyLen = 24
	case o.Equal(oidAES256CBC):
		keyLen = 32
	default:
		return nil, fmt.Errorf("encrypted key: unsupported cipher %v (want AES-CBC)", o)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.EncryptionScheme.Parameters.FullBytes, &iv); err != nil || len(iv) != aes.BlockSize {
		return nil, errors.New("encrypted key: bad AES IV")
	}
	key, err := pbkdf2.Key(prf, string(passphrase), kdf.Salt, kdf.Iterations, keyLen)
	if err != nil {
		return nil, fmt.Errorf("encrypted key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	data := info.EncryptedData
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, errors.New("encrypted key: bad ciphertext length")
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	// PKCS#7 padding; a wrong passphrase almost always breaks it.
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize || pad > len(out) || !bytes.Equal(out[len(out)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, errors.New("cannot decrypt the key: wrong private_key_passphrase?")
	}
	return out[:len(out)-pad], nil
}
