/* The BPF map-image reader karmor-loader runs on every .kmi before it fills a map.  Each
 * input is read twice: as it is, and with its size field and trailing SHA-256 made to
 * agree with its bytes, so that mutations reach the structural checks (counts, offsets,
 * strings, automata) that a checksum would otherwise stop at: an image's hash is an
 * integrity check, not a proof of good intent. */
#include "fuzz.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime-loader/image.h"

static int fuzz_parse(const void *data, size_t size)
{
	struct kl_image img;
	char err[512];
	if (kl_image_parse(data, size, "fuzz.kmi", &img, err, sizeof(err)) != 0)
		return 0;
	/* a valid image: every string it names is readable (the loader prints them) */
	size_t n = strlen(kl_image_str(&img, img.hdr->name)) + strlen(kl_image_str(&img, img.hdr->describe));
	kl_image_free(&img);
	return n == (size_t)-1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_parse(data, size);
	if (size < sizeof(struct karmor_image_header) + crypto_hash_sha256_BYTES)
		return 0;
	unsigned char *fixed = malloc(size);
	if (!fixed)
		return 0;
	memcpy(fixed, data, size);
	struct karmor_image_header h;
	memcpy(&h, fixed, sizeof(h));
	h.file_size = size;
	memcpy(fixed, &h, sizeof(h));
	crypto_hash_sha256(fixed + size - crypto_hash_sha256_BYTES, fixed, size - crypto_hash_sha256_BYTES);
	fuzz_parse(fixed, size);
	free(fixed);
	return 0;
}
