package io.swarmnet.operator.service.template;

/** A task template that cannot be used as written; the message says what is wrong and what to write instead. */
public final class TemplateException extends Exception {

    public TemplateException(String message) {
        super(message);
    }
}
