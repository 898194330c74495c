import nodemailer from 'nodemailer';

/** Sends the welcome email over SMTP (nodemailer). */
export interface WelcomeMailer {
  send(message: { to: string; firstName: string | null; ban: string; companyName: string | null }): Promise<{ messageId: string }>;
}

export function smtpWelcomeMailer(smtpUrl: string, from: string): WelcomeMailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    send: async ({ to, firstName, ban, companyName }) => {
      const greeting = firstName ? `Hello ${firstName},` : 'Hello,';
      const info = await transport.sendMail({
        from,
        to,
        subject: 'Welcome to WARP',
        text: [
          greeting,
          '',
          `${companyName ?? 'Your company'} is set up on WARP. Your billing account number (BAN) is ${ban}.`,
          'Your first SIP trunk is ready; add its IP addresses in the WARP console to start calling.',
          '',
          'The WARP team',
        ].join('\n'),
      });
      return { messageId: String(info.messageId) };
    },
  };
}
