/*
 * identity: who a target is, from its image's identity section (bpf/karmor.h), as status
 * and events show it: one line of text, KubeArmor's Labels string, or JSON.
 */
#include <stdio.h>
#include <stdlib.h>

#include "loader.h"

char *kl_target_text(const struct kl_image *img)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	const struct karmor_image_identity *id = img->ident;
	if (!id) {
		fputs(kl_vis(kl_image_str(img, img->hdr->describe)), f);
	} else if (id->flags & KARMOR_IDENT_HOST) {
		fprintf(f, "node %s", kl_vis(kl_image_ref(img, id->workload)));
	} else {
		fprintf(f, "%s %s/", kl_vis(kl_image_ref(img, id->kind)), kl_vis(kl_image_ref(img, id->namespace_)));
		fprintf(f, "%s, pod %s, ", kl_vis(kl_image_ref(img, id->workload)), kl_vis(kl_image_ref(img, id->pod)));
		fprintf(f, "%s %s, image %s", id->flags & KARMOR_IDENT_INIT ? "init container" : "container",
			kl_vis(kl_image_ref(img, id->container)), kl_vis(kl_image_ref(img, id->image)));
	}
	for (uint32_t i = 0; id && i < id->nlabels; i++) {
		fprintf(f, "%s%s=", i ? "," : ", labels ", kl_vis(kl_image_ref(img, img->labels[i].key)));
		fputs(kl_vis(kl_image_ref(img, img->labels[i].value)), f);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *kl_target_labels(const struct kl_image *img)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (uint32_t i = 0; img->ident && i < img->ident->nlabels; i++)
		fprintf(f, "%s%s=%s", i ? "," : "", kl_image_ref(img, img->labels[i].key),
			kl_image_ref(img, img->labels[i].value));
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

void kl_target_json(struct kl_json *j, const struct kl_image *img)
{
	kl_json_str(j, "describe", kl_image_str(img, img->hdr->describe));
	const struct karmor_image_identity *id = img->ident;
	if (!id)
		return;
	int host = id->flags & KARMOR_IDENT_HOST;
	kl_json_open(j, "identity", '{');
	kl_json_str(j, "kind", kl_image_ref(img, id->kind));
	if (host) {
		kl_json_str(j, "node", kl_image_ref(img, id->workload));
	} else {
		kl_json_str(j, "namespace", kl_image_ref(img, id->namespace_));
		kl_json_str(j, "workload", kl_image_ref(img, id->workload));
		kl_json_str(j, "pod", kl_image_ref(img, id->pod));
		kl_json_str(j, "container", kl_image_ref(img, id->container));
		kl_json_bool(j, "init", !!(id->flags & KARMOR_IDENT_INIT));
		kl_json_str(j, "image", kl_image_ref(img, id->image));
	}
	kl_json_open(j, "labels", '{');
	for (uint32_t i = 0; i < id->nlabels; i++)
		kl_json_str(j, kl_image_ref(img, img->labels[i].key), kl_image_ref(img, img->labels[i].value));
	kl_json_close(j, '}');
	kl_json_close(j, '}');
}
